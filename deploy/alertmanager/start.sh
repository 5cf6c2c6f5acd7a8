#!/bin/sh
# Runs in Alertmanager's container before Alertmanager: writes its configuration from the ALERT_*
# variables of .env (Alertmanager expands no environment variables in its own file), then starts it
# with the arguments given ("$@"). Every alert goes to one receiver, the person on call, by email
# and/or webhook; with neither set it stops here, saying why: alerts that reach nobody are worse
# than a container that visibly does not start.
set -eu
out=${ALERTMANAGER_CONFIG:-/etc/alertmanager/alertmanager.yml}
email=${ALERT_EMAIL_TO:-}
webhook=${ALERT_WEBHOOK_URL:-}

fail() {
  printf 'alertmanager: %s\n' "$1" >&2
  exit 1
}
# printf, not echo: some shells' echo turns a backslash in a password into something else.
line() {
  printf '%s\n' "$1"
}
# A YAML double-quoted string: passwords and addresses go in whatever characters they hold.
quote() {
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

if [ -z "$email" ] && [ -z "$webhook" ]; then
  fail "chưa có nơi nhận cảnh báo: đặt ALERT_EMAIL_TO (cùng ALERT_SMTP_*) hoặc ALERT_WEBHOOK_URL trong .env / no one would receive alerts: set ALERT_EMAIL_TO (with ALERT_SMTP_*) or ALERT_WEBHOOK_URL in .env"
fi
if [ -n "$email" ]; then
  [ -n "${ALERT_SMTP_HOST:-}" ] || fail "ALERT_EMAIL_TO cần máy chủ thư ALERT_SMTP_HOST / ALERT_EMAIL_TO needs the mail server ALERT_SMTP_HOST"
  [ -n "${ALERT_EMAIL_FROM:-}" ] || fail "ALERT_EMAIL_TO cần địa chỉ gửi ALERT_EMAIL_FROM / ALERT_EMAIL_TO needs the sender address ALERT_EMAIL_FROM"
  case "${ALERT_SMTP_REQUIRE_TLS:-true}" in
    true | false) ;;
    *) fail "ALERT_SMTP_REQUIRE_TLS là true hoặc false / ALERT_SMTP_REQUIRE_TLS is true or false" ;;
  esac
fi

umask 077 # it holds the SMTP password
{
  line "# Written by deploy/alertmanager/start.sh from .env at start-up; edit .env, not this file."
  line "global:"
  line "  resolve_timeout: 5m"
  if [ -n "$email" ]; then
    line "  smtp_smarthost: $(quote "$ALERT_SMTP_HOST:${ALERT_SMTP_PORT:-587}")"
    line "  smtp_from: $(quote "$ALERT_EMAIL_FROM")"
    line "  smtp_require_tls: ${ALERT_SMTP_REQUIRE_TLS:-true}"
    if [ -n "${ALERT_SMTP_USERNAME:-}" ]; then
      line "  smtp_auth_username: $(quote "$ALERT_SMTP_USERNAME")"
      line "  smtp_auth_password: $(quote "${ALERT_SMTP_PASSWORD:-}")"
    fi
  fi
  # Grouped per alert and instance; a critical one (an instance down, the journal full) is repeated
  # every hour while it lasts, a warning every four.
  cat <<'YAML'
route:
  receiver: on-call
  group_by: [alertname, instance]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"']
      repeat_interval: 1h
# An instance that is down explains its other alerts: only the critical one is sent.
inhibit_rules:
  - source_matchers: ['alertname="IocInstanceDown"']
    target_matchers: ['severity="warning"']
    equal: [instance]
receivers:
  - name: on-call
YAML
  if [ -n "$email" ]; then
    line "    email_configs:"
    line "      - to: $(quote "$email")"
    line "        send_resolved: true"
    # The subject in both languages, with the alert's own summary (alerts.yml) when the group has one.
    cat <<'YAML'
        headers:
          Subject: '[IOC] {{ if eq .Status "firing" }}Cảnh báo / Alert{{ else }}Đã hết / Resolved{{ end }}: {{ or .CommonAnnotations.summary .CommonLabels.alertname }}'
YAML
  fi
  if [ -n "$webhook" ]; then
    line "    webhook_configs:"
    line "      - url: $(quote "$webhook")"
    line "        send_resolved: true"
    if [ -n "${ALERT_WEBHOOK_TOKEN:-}" ]; then
      line "        http_config:"
      line "          authorization:"
      line "            credentials: $(quote "$ALERT_WEBHOOK_TOKEN")"
    fi
  fi
} >"$out.tmp"
mv "$out.tmp" "$out"
printf 'alertmanager: %s\n' "cảnh báo gửi tới / alerts go to:${email:+ email $email}${webhook:+ webhook}"
exec "$@"
