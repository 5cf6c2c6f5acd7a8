-- Alerts on the IOC itself (a backup that failed or is too old), raised by the IOC rather than by a
-- device's readings: rules of type 'system', whose alerts carry kind 'system' and the device id 'ioc'.
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_type_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_type_check
  CHECK (type IN ('threshold', 'rate_of_rise', 'offline', 'last_will', 'event', 'aqi', 'streetlight_dark', 'system'));
