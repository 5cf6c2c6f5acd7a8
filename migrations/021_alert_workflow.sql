-- Working an alert: what the rule tells the operator to do, who the alert is assigned to, and notes,
-- each kept in the alert's history so its timeline says who did what and when.

-- Both languages or neither, like the rule's message.
ALTER TABLE alert_rules
  ADD COLUMN instructions_vi text,
  ADD COLUMN instructions_en text,
  ADD CONSTRAINT alert_rules_instructions_both CHECK ((instructions_vi IS NULL) = (instructions_en IS NULL));

-- The current assignee lives beside the alert, not in its row: every update of an alerts row is a
-- change the province's feed republishes and the hourly indicators recount (006_feeds.sql triggers),
-- and taking an alert changes neither what the province sees nor any indicator.
CREATE TABLE alert_assignments (
  alert_id    bigint PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
  assignee    text NOT NULL,
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL
);
CREATE INDEX alert_assignments_assignee ON alert_assignments (assignee, alert_id DESC);

ALTER TABLE alert_history DROP CONSTRAINT alert_history_action_check;
ALTER TABLE alert_history ADD CONSTRAINT alert_history_action_check
  CHECK (action IN ('opened', 'acknowledged', 'resolved', 'assigned', 'unassigned', 'noted'));
-- Whom an 'assigned' entry gave the alert to, whom an 'unassigned' entry took it from. A name, not a
-- reference: the history outlives the account.
ALTER TABLE alert_history ADD COLUMN assignee text;
