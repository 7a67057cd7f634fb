"""Service-to-service authentication: `Authorization: Bearer <token>`.

The tokens a service accepts are named after the calling service, one token or a list:

    DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"devices": ["<new>", "<old>"], "users": "<token>"}}

or, from the environment, `DOMAIN_SERVICES_API_TOKENS="devices=<new>,devices=<old>,users=<t>"`
(added to the settings; a name given twice accepts both). A list is how a token is rotated
without downtime. A matching token authenticates the request as a `ServicePrincipal`, which is
not a database user; an unknown bearer token is a 401. Every accepted token is compared, in
constant time, whichever matches. Malformed tokens are the system-check error
`domain_services.E011`; accepting the development token outside `DEBUG` is
`domain_services.E012` of `check --deploy` (`domain_services.integrations.rest.checks`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from domain_services.integrations.rest.tokens import token_matches

SETTING = "DOMAIN_SERVICES_API"
ENV = "DOMAIN_SERVICES_API_TOKENS"


class ServicePrincipal:
    """The caller when another service authenticated with its token: no user, no DB row."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, service: str) -> None:
        self.service = service
        self.username = f"service:{service}"

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<ServicePrincipal {self.service}>"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False  # services are authorised by the API's permission classes, not Django's

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False


def service_tokens() -> dict[str, tuple[str, ...]]:
    """Calling service -> the tokens it may use, from `DOMAIN_SERVICES_API['SERVICE_TOKENS']`
    and `DOMAIN_SERVICES_API_TOKENS`; ImproperlyConfigured naming the setting if malformed."""
    raw = getattr(settings, SETTING, None) or {}
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{SETTING} must be a dictionary.")
    tokens = raw.get("SERVICE_TOKENS") or {}
    if not isinstance(tokens, Mapping):
        raise ImproperlyConfigured(
            f"{SETTING}['SERVICE_TOKENS'] must map a calling service's name to its token "
            "or a list of its tokens."
        )
    result: dict[str, list[Any]] = {}
    for name, value in tokens.items():
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, Sequence) or not given:
            raise ImproperlyConfigured(
                f"{SETTING}['SERVICE_TOKENS'][{name!r}] must be a token or a non-empty list "
                "of tokens."
            )
        result[name] = list(given)
    for pair in filter(None, (p.strip() for p in os.environ.get(ENV, "").split(","))):
        name, sep, token = pair.partition("=")
        if not sep or not name.strip():
            raise ImproperlyConfigured(
                f"{ENV} must look like 'devices=<token>,users=<token>' (a name given twice "
                "accepts both tokens)."
            )
        # The environment adds to the settings: the way to accept a new token beside the old.
        result.setdefault(name.strip(), []).append(token.strip())
    for name, given in result.items():
        for token in given:
            if not isinstance(token, str) or not token:
                raise ImproperlyConfigured(
                    f"{SETTING}['SERVICE_TOKENS'][{name!r}] (or {ENV}) must hold non-empty strings."
                )
            if any(c.isspace() for c in token) or not token.isprintable():
                raise ImproperlyConfigured(
                    f"{SETTING}['SERVICE_TOKENS'][{name!r}] (or {ENV}) has a token with spaces "
                    "or control characters, which no Authorization header can carry."
                )
    return {name: tuple(given) for name, given in result.items()}


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` checked against the configured service tokens."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the next authentication class may know it
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid bearer header: expected 'Bearer <token>'."
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid bearer token.") from None
        matched = None
        # Every service's tokens are compared, so the time taken does not tell which matched.
        for service, accepted in service_tokens().items():
            if token_matches(token, accepted):
                matched = service
        if matched is None:
            raise exceptions.AuthenticationFailed("Invalid bearer token.")
        return ServicePrincipal(matched), token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a caller that sent no credentials.
        return f'{self.keyword} realm="api"'


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Documents `ServiceTokenAuthentication` in the OpenAPI schema."""

    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
