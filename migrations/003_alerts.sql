-- Alert rules, alerts with their full history, webhooks and their delivery log.
-- One active alert per (rule, device): the partial unique index is what turns a repeat into a count.

CREATE TABLE alert_rules (
  id           serial PRIMARY KEY,
  -- Shipped defaults carry the key of devices/rules/defaults.json, so re-seeding is idempotent and an
  -- operator's edit of a default is never overwritten.
  default_key  text UNIQUE,
  name         text NOT NULL,
  type         text NOT NULL CHECK (type IN ('threshold', 'rate_of_rise', 'offline', 'last_will', 'event', 'aqi', 'streetlight_dark')),
  metric       text,
  comparison   text CHECK (comparison IN ('>', '>=', '<', '<=', '=')),
  threshold    double precision,
  clear_value  double precision,
  for_s        integer NOT NULL DEFAULT 0 CHECK (for_s >= 0),
  severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  kind         text,
  city         text,
  ward         text,
  zone         text CHECK (zone IN ('special', 'normal')),
  device_id    text,
  -- Local time of day (Asia/Ho_Chi_Minh) in minutes; a window may wrap midnight (1260 → 360).
  window_start smallint CHECK (window_start BETWEEN 0 AND 1439),
  window_end   smallint CHECK (window_end BETWEEN 0 AND 1440),
  params       jsonb NOT NULL DEFAULT '{}',
  message_vi   text NOT NULL,
  message_en   text NOT NULL,
  source_ref   text,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((window_start IS NULL) = (window_end IS NULL))
);

CREATE TABLE alerts (
  id               bigserial PRIMARY KEY,
  rule_id          integer NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  device_id        text NOT NULL,
  kind             text NOT NULL,
  city             text NOT NULL,
  ward             text NOT NULL,
  severity         text NOT NULL,
  state            text NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  message_vi       text NOT NULL,
  message_en       text NOT NULL,
  value            double precision,
  details          jsonb NOT NULL DEFAULT '{}',
  count            integer NOT NULL DEFAULT 1,
  opened_at        timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  resolved_at      timestamptz,
  resolved_by      text
);
CREATE UNIQUE INDEX alerts_one_active ON alerts (rule_id, device_id) WHERE state <> 'resolved';
CREATE INDEX alerts_opened ON alerts (opened_at DESC);
CREATE INDEX alerts_active ON alerts (state, severity) WHERE state <> 'resolved';
CREATE INDEX alerts_place ON alerts (city, ward, kind, opened_at DESC);

CREATE TABLE alert_history (
  id        bigserial PRIMARY KEY,
  alert_id  bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at        timestamptz NOT NULL DEFAULT now(),
  action    text NOT NULL CHECK (action IN ('opened', 'acknowledged', 'resolved')),
  actor     text NOT NULL,
  note      text
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, at);

CREATE TABLE webhooks (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  url         text NOT NULL,
  -- HMAC key for the X-IOC-Signature header; the receiver holds the same, so it is kept as given.
  secret      text NOT NULL,
  severities  text[] NOT NULL DEFAULT '{info,warning,critical}',
  kinds       text[],
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id              bigserial PRIMARY KEY,
  webhook_id      integer NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  alert_id        bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  action          text NOT NULL,
  payload         jsonb NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status     integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
