"""System check `domain_services.E011`: service tokens, on the accepting and the sending side.

Registered by the `domain_services.integrations.rest` app (in `REST_APPS`). Reported:

- `DOMAIN_SERVICES_API['SERVICE_TOKENS']` (or `DOMAIN_SERVICES_API_TOKENS`) is malformed;
- outside `DEBUG`, it accepts the development token;
- outside `DEBUG`, a `rest` entry of `DOMAIN_SERVICES` sends the development token.

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

ID = "domain_services.E011"
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check_service_tokens(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    errors = _accepted_token_problems()
    if not settings.DEBUG:
        errors += _sent_token_problems()
    return errors


def _accepted_token_problems() -> list[checks.CheckMessage]:
    try:
        accepted = service_tokens()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), obj=SETTING, id=ID)]
    if settings.DEBUG:
        return []
    return [
        checks.Error(
            f"{SETTING}['SERVICE_TOKENS'][{name!r}] accepts the development service token "
            "while DEBUG is off: anyone who has read the source can call this service.",
            hint=(
                f"Give the {name!r} caller a secret token of its own (from the environment, "
                f"e.g. SERVICE_TOKEN or {ENV}); generate one with {GENERATE}."
            ),
            obj=SETTING,
            id=ID,
        )
        for name, tokens in accepted.items()
        if any(map(is_development_token, tokens))
    ]


def _sent_token_problems() -> list[checks.CheckMessage]:
    try:
        configs = domain_configs()
    except ImproperlyConfigured:
        return []  # domain_services.E010 reports it
    errors: list[checks.CheckMessage] = []
    for domain, config in configs.items():
        try:
            backend = load_backend(domain, config)
            if not isinstance(backend, RestBackend):
                continue
            token = backend.token()
        except ImproperlyConfigured:
            continue  # domain_services.E010 reports it
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
                    id=ID,
                )
            )
    return errors
