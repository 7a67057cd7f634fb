"""Reusable device services: the status store (MongoDB), status ingestion (MQTT), commands."""
