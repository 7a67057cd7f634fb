"""System checks of the service tokens, on the accepting and the sending side.

Registered by the `domain_services.integrations.rest` app (in `REST_APPS`):

- `domain_services.E011`, always: `DOMAIN_SERVICES_API['SERVICE_TOKENS']` (or
  `DOMAIN_SERVICES_API_TOKENS`) is malformed, which would otherwise only show as a 500 on the
  first authenticated request;
- `domain_services.E012`, with `check --deploy` (like Django's own `SECRET_KEY` and `DEBUG`
  checks): outside `DEBUG`, the development token is accepted, or a `rest` entry of
  `DOMAIN_SERVICES` sends it.

A missing or malformed `TOKEN` of a `rest` entry is `domain_services.E010`, with the entry's
other problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from domain_services.integrations.rest.backend import RestBackend
from domain_services.integrations.rest.server.authentication import ENV, SETTING, service_tokens
from domain_services.integrations.rest.tokens import is_development_token
from domain_services.registry import SETTING as DOMAIN_SERVICES
from domain_services.registry import domain_configs, load_backend

MALFORMED = "domain_services.E011"
DEVELOPMENT = "domain_services.E012"
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check_service_tokens(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E011: the accepted service tokens are malformed."""
    try:
        service_tokens()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), obj=SETTING, id=MALFORMED)]
    return []


def check_development_tokens(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E012: outside DEBUG, the development token is accepted or sent."""
    if settings.DEBUG:
        return []
    return _accepted_development_tokens() + _sent_development_tokens()


def _accepted_development_tokens() -> list[checks.CheckMessage]:
    try:
        accepted = service_tokens()
    except ImproperlyConfigured:
        return []  # E011 reports it
    return [
        checks.Error(
            f"{SETTING}['SERVICE_TOKENS'][{name!r}] accepts the development service token "
            "while DEBUG is off: anyone who has read the source can call this service.",
            hint=(
                f"Give the {name!r} caller a secret token of its own (from the environment, "
                f"e.g. SERVICE_TOKEN or {ENV}); generate one with {GENERATE}."
            ),
            obj=SETTING,
            id=DEVELOPMENT,
        )
        for name, tokens in accepted.items()
        if any(map(is_development_token, tokens))
    ]


def _sent_development_tokens() -> list[checks.CheckMessage]:
    try:
        configs = domain_configs()
    except ImproperlyConfigured:
        return []  # E010 reports it
    errors: list[checks.CheckMessage] = []
    for domain, config in configs.items():
        try:
            backend = load_backend(domain, config)
            if not isinstance(backend, RestBackend):
                continue
            token = backend.token()
        except ImproperlyConfigured:
            continue  # E010 reports it
        if is_development_token(token):
            env = f"{domain.upper()}_SERVICE_TOKEN"
            errors.append(
                checks.Error(
                    f"{DOMAIN_SERVICES}[{domain!r}]['TOKEN'] (or {env}) is the development "
                    "service token while DEBUG is off.",
                    hint=(
                        f"Set {env} to a token the {domain} service accepts in its "
                        f"{SETTING}['SERVICE_TOKENS'] (its SERVICE_TOKEN)."
                    ),
                    obj=DOMAIN_SERVICES,
                    id=DEVELOPMENT,
                )
            )
    return errors
