from django.apps import AppConfig


class PortalServicesConfig(AppConfig):
    name = "portal_services"
    verbose_name = "Portal (the domains' data)"
