#!/bin/sh
# Create the Mosquitto password file from environment variables (never commit real passwords).
#   INGESTION_PASSWORD=... DEVICES_API_PASSWORD=... ./create_passwords.sh /etc/mosquitto/passwd
# Devices: add one line per device with `mosquitto_passwd -b FILE <EUI> <password>`.
set -eu
FILE=${1:-passwd}
: "${INGESTION_PASSWORD:?set INGESTION_PASSWORD}"
: "${DEVICES_API_PASSWORD:?set DEVICES_API_PASSWORD}"
rm -f "$FILE"
touch "$FILE"
chmod 600 "$FILE"
mosquitto_passwd -b "$FILE" ingestion "$INGESTION_PASSWORD"
mosquitto_passwd -b "$FILE" devices-api "$DEVICES_API_PASSWORD"
if [ -n "${SIMULATOR_PASSWORD:-}" ]; then
    mosquitto_passwd -b "$FILE" simulator "$SIMULATOR_PASSWORD"
fi
# Domain events (docs/events.md): the facilities relay and the devices event consumer.
if [ -n "${FACILITIES_RELAY_PASSWORD:-}" ]; then
    mosquitto_passwd -b "$FILE" facilities-relay "$FACILITIES_RELAY_PASSWORD"
fi
if [ -n "${DEVICES_EVENTS_PASSWORD:-}" ]; then
    mosquitto_passwd -b "$FILE" devices-events "$DEVICES_EVENTS_PASSWORD"
fi
echo "wrote $FILE"
