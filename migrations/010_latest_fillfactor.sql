-- device_latest is rewritten in place by the writer's periodic flush (every device's values, every
-- few seconds under load, docs/decisions/0009-telemetry-messages.md). Free room on each page lets
-- PostgreSQL update a row on its own page without touching the primary key index (a HOT update).
ALTER TABLE device_latest SET (fillfactor = 50);
