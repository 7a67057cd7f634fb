"""Integration services (MongoDB, MQTT, REST): one package each, never importing each other."""
