-- A rule's scope may name a list of devices, and its schedule the local weekdays it is active on
-- (Asia/Ho_Chi_Minh, 'sun' … 'sat'); NULL keeps the old meaning: no list, every day.
ALTER TABLE alert_rules
  ADD COLUMN device_ids text[] CHECK (cardinality(device_ids) BETWEEN 1 AND 500),
  ADD COLUMN days text[] CHECK (
    cardinality(days) BETWEEN 1 AND 7
    AND days <@ ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
  );
