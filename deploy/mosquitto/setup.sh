#!/bin/sh
# One-shot, after the broker is healthy: the IOC's own account (MQTT_INGEST_USERNAME) and its role.
# Idempotent: every start re-applies the role and sets the password from the environment, so changing
# MQTT_INGEST_PASSWORD and restarting rotates it. Device accounts are not made here: the IOC provisions
# each device through the same plugin when it is registered (POST /api/v1/devices).
set -eu
host="${MQTT_BROKER_HOST:-broker}"
port="${MQTT_BROKER_PORT:-1883}"
group="${MQTT_SHARED_GROUP:-ioc}"
role=ioc-ingest

# mosquitto_ctrl exits 0 even when the plugin refuses a command; the refusal is a line on stderr.
ctrl() {
  errors=$(mosquitto_ctrl -h "$host" -p "$port" -u "$MQTT_DYNSEC_ADMIN_USERNAME" -P "$MQTT_DYNSEC_ADMIN_PASSWORD" \
    dynsec "$@" 2>&1 >/dev/null | grep 'Error' || true)
  if [ -n "$errors" ]; then
    echo "$errors" >&2
    return 1
  fi
}
exists() {
  [ -n "$(mosquitto_ctrl -h "$host" -p "$port" -u "$MQTT_DYNSEC_ADMIN_USERNAME" -P "$MQTT_DYNSEC_ADMIN_PASSWORD" \
    dynsec "$@" 2>/dev/null)" ]
}

exists getRole "$role" || ctrl createRole "$role"
# Read every device's telemetry, status and events through the shared subscription that spreads them
# over the instances ($share/<group>/ioc/...), and send commands (ioc/{city}/{kind}/{id}/cmd).
for acl in \
  "subscribePattern \$share/$group/ioc/#" \
  "subscribePattern ioc/#" \
  "publishClientReceive ioc/#" \
  "publishClientSend ioc/+/+/+/cmd"; do
  # shellcheck disable=SC2086 # the ACL type and its topic are two words on purpose
  ctrl removeRoleACL "$role" $acl 2>/dev/null || true
  # shellcheck disable=SC2086
  ctrl addRoleACL "$role" $acl allow 10
done

exists getClient "$MQTT_INGEST_USERNAME" || ctrl createClient "$MQTT_INGEST_USERNAME" -p "$MQTT_INGEST_PASSWORD"
ctrl setClientPassword "$MQTT_INGEST_USERNAME" "$MQTT_INGEST_PASSWORD"
ctrl removeClientRole "$MQTT_INGEST_USERNAME" "$role" 2>/dev/null || true
ctrl addClientRole "$MQTT_INGEST_USERNAME" "$role" 10
echo "broker account $MQTT_INGEST_USERNAME ready (role $role, shared group $group)"
