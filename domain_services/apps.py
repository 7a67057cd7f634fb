"""The `domain_services` Django app: registers the system checks and reference policies."""

from __future__ import annotations

from django.apps import AppConfig


class DomainServicesConfig(AppConfig):
    name = "domain_services"
    verbose_name = "Domain services"

    def ready(self) -> None:
        from domain_services import checks, events
        from domain_services.reference_policies import apply_delete_policies

        checks.register()
        events.subscribe(events.ObjectDeleted, apply_delete_policies)
