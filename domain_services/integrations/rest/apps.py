"""The Django app of the REST integration: registers its system checks (`REST_APPS` has it)."""

from __future__ import annotations

from django.apps import AppConfig


class RestConfig(AppConfig):
    """`domain_services.integrations.rest` as an installed app."""

    name = "domain_services.integrations.rest"
    label = "domain_services_rest"
    verbose_name = "domain_services REST"

    def ready(self) -> None:
        from django.core import checks

        from domain_services.integrations.rest.checks import (
            check_development_tokens,
            check_service_tokens,
        )

        checks.register(check_service_tokens, checks.Tags.security)
        checks.register(check_development_tokens, checks.Tags.security, deploy=True)
