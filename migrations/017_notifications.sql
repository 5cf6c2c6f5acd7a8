-- Notifications that reach a person when nobody watches the console: channels (email, SMS, Zalo OA,
-- webhook), contacts, weekly on-call schedules, escalation policies per area and severity, the state
-- of each alert's escalation, and the delivery log, which is also the retry queue. Escalation state is
-- here, not in memory, so a restart or a new leader carries on where the last one stopped.

CREATE TABLE notification_channels (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  type        text NOT NULL CHECK (type IN ('email', 'sms', 'zalo', 'webhook')),
  -- What an admin may read back (host, port, sender, gateway URL, template).
  settings    jsonb NOT NULL DEFAULT '{}',
  -- Passwords, tokens and keys: used to send, never returned by the API nor written to a log.
  secrets     jsonb NOT NULL DEFAULT '{}',
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A person (or a shared duty phone) and where to reach them; `username` links an IOC account if any.
CREATE TABLE notification_contacts (
  id            serial PRIMARY KEY,
  name          text NOT NULL,
  username      text,
  email         text,
  phone         text,
  zalo_user_id  text,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- shifts: [{ "days": [1..7] (ISO, 1 = Monday), "start": "HH:MM", "end": "HH:MM", "contactIds": [...] }]
-- in Asia/Ho_Chi_Minh; a shift whose end is not after its start runs past midnight.
CREATE TABLE notification_schedules (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  shifts      jsonb NOT NULL DEFAULT '[]',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- steps: [{ "afterMinutes": n, "scheduleIds": [...], "contactIds": [...], "channelIds": [...] }]
-- quiet_hours: { "start": "HH:MM", "end": "HH:MM", "action": "hold" | "skip" } or null.
-- city is a plain string (an area's id), null for every area.
CREATE TABLE notification_policies (
  id               serial PRIMARY KEY,
  name             text NOT NULL,
  city             text,
  severities       text[] NOT NULL,
  steps            jsonb NOT NULL,
  quiet_hours      jsonb,
  notify_on_close  boolean NOT NULL DEFAULT true,
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per (alert, policy): the next step and when it is due; done once the chain ends, the alert
-- is acknowledged or resolved, or the policy goes away.
CREATE TABLE notification_escalations (
  alert_id   bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  policy_id  integer NOT NULL REFERENCES notification_policies (id) ON DELETE CASCADE,
  next_step  integer NOT NULL DEFAULT 0,
  next_at    timestamptz NOT NULL,
  done_at    timestamptz,
  PRIMARY KEY (alert_id, policy_id)
);
CREATE INDEX notification_escalations_due ON notification_escalations (next_at) WHERE done_at IS NULL;

CREATE TABLE notification_deliveries (
  id               bigserial PRIMARY KEY,
  -- NULL: a test message sent from the channel's "test" action.
  alert_id         bigint REFERENCES alerts (id) ON DELETE CASCADE,
  policy_id        integer REFERENCES notification_policies (id) ON DELETE SET NULL,
  step             integer,
  event            text NOT NULL CHECK (event IN ('opened', 'escalated', 'acknowledged', 'resolved', 'test')),
  channel_id       integer NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  channel_type     text NOT NULL,
  contact_id       integer REFERENCES notification_contacts (id) ON DELETE SET NULL,
  -- Where it goes (address, phone, Zalo user id; empty for a webhook); the API shows only `recipient`.
  address          text NOT NULL,
  recipient        text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'held', 'sending', 'retrying', 'sent', 'failed', 'skipped', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  last_error       text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  sent_at          timestamptz
);
-- A step's deliveries are made once, whichever pass (or instance, in a hand-over) gets there first; two
-- policies that name the same person on the same step send one message, not two.
CREATE UNIQUE INDEX notification_deliveries_once
  ON notification_deliveries (alert_id, step, event, channel_id, address) NULLS NOT DISTINCT
  WHERE alert_id IS NOT NULL;
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
  WHERE status IN ('pending', 'held', 'sending', 'retrying');
CREATE INDEX notification_deliveries_alert ON notification_deliveries (alert_id, id);
CREATE INDEX notification_deliveries_recent ON notification_deliveries (id DESC);
