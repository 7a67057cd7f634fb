"""`domain_services.devices` as a Django app: it brings `manage.py mqtt_consume`."""

from __future__ import annotations

from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """Add `"domain_services.devices"` to INSTALLED_APPS to get the ingestion command."""

    name = "domain_services.devices"
    label = "domain_services_devices"
    verbose_name = "Device services"
