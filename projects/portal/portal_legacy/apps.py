from django.apps import AppConfig


class PortalLegacyConfig(AppConfig):
    name = "portal_legacy"
    verbose_name = "Portal (its own database)"
