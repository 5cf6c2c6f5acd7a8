#!/bin/sh
# Runs in the broker's container before Mosquitto: creates the dynamic-security file with the admin
# account the IOC provisions devices with, the first time only (the file lives on the broker's volume,
# so later changes made through the plugin are kept). Then starts the broker.
set -eu
file=/mosquitto/data/dynamic-security.json
if [ ! -f "$file" ]; then
  mosquitto_ctrl dynsec init "$file" "$MQTT_DYNSEC_ADMIN_USERNAME" "$MQTT_DYNSEC_ADMIN_PASSWORD" >/dev/null
  echo "dynamic security initialised with admin account $MQTT_DYNSEC_ADMIN_USERNAME"
fi
# The broker drops to the mosquitto user: it must own its data.
chown -R mosquitto:mosquitto /mosquitto/data 2>/dev/null || true
exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf
