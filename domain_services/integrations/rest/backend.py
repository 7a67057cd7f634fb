"""The `rest` backend: a domain served by another project, reached over HTTP.

DOMAIN_SERVICES = {
    "facilities": {
        "BACKEND": "rest",
        "URL": "http://facilities:8000",          # or FACILITIES_SERVICE_URL
        "TOKEN": "...",                           # or FACILITIES_SERVICE_TOKEN
        "INTERFACE": "facilities_interface.Facilities",  # the declaration its client comes from
        "REFERS_TO": ["users.Organization"],      # our models it refers to (PROTECT checks)
        "REQUIRED": True,                         # False: /health stays ok when it is down
        "OPTIONS": {"DEADLINE": 5, "RETRIES": 2, "CIRCUIT_FAILURES": 5, "CIRCUIT_COOLDOWN": 5},
    },
}
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

from domain_services.backends import Backend
from domain_services.conf import option, reject_unknown_keys
from domain_services.errors import Unavailable
from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.interface_client import client_for
from domain_services.interfaces import Interface
from domain_services.reference_policies import ProtectedReference, Targets

# UUIDs per reference check request; the server accepts up to `references.MAX_UUIDS`.
REFERENCE_BATCH = 5000

# OPTIONS key -> (RestClient argument, default, type, must be > 0)
_OPTIONS: dict[str, tuple[str, Any, type | tuple[type, ...], bool]] = {
    "CONNECT_TIMEOUT": ("connect_timeout", 2.0, (int, float), True),
    "READ_TIMEOUT": ("read_timeout", 10.0, (int, float), True),
    "RETRIES": ("retries", 2, int, False),
    "BACKOFF": ("backoff", 0.2, (int, float), False),
    "POOL_SIZE": ("pool_size", 10, int, True),
    "DEADLINE": ("deadline", 5.0, (int, float), True),
    "CIRCUIT_FAILURES": ("circuit_failures", 5, int, True),
    "CIRCUIT_COOLDOWN": ("circuit_cooldown", 5.0, (int, float), True),
}


class RestBackend(Backend):
    """Serves a domain with its REST client class, built on one `RestClient`."""

    def url(self) -> str:
        """The base URL: `<DOMAIN>_SERVICE_URL` from the environment, else `URL`."""
        env = f"{self.domain.upper()}_SERVICE_URL"
        url = os.environ.get(env) or self.config.get("URL")
        where = f"{self.setting}['URL'] (or the {env} environment variable)"
        if not url:
            raise ImproperlyConfigured(
                f"{self.setting} has no 'URL'; set it to the {self.domain} service base URL, "
                f"like 'http://{self.domain}:8000', or set {env}."
            )
        if not isinstance(url, str):
            raise ImproperlyConfigured(f"{where} must be a string.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(
                f"{where} = {url!r} is not an http:// or https:// URL with a host."
            )
        if parts.query or parts.fragment:
            raise ImproperlyConfigured(f"{where} = {url!r} must not have a query or fragment.")
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ImproperlyConfigured(f"{where} = {url!r} has an invalid port.") from None
        return url

    def token(self) -> str:
        """The service token: `<DOMAIN>_SERVICE_TOKEN` from the environment, else `TOKEN`."""
        env = f"{self.domain.upper()}_SERVICE_TOKEN"
        token = os.environ.get(env) or self.config.get("TOKEN")
        if not token or not isinstance(token, str):
            raise ImproperlyConfigured(
                f"{self.setting} has no 'TOKEN'; set it (or {env}) to the token the "
                f"{self.domain} service accepts in its DOMAIN_SERVICES_API['SERVICE_TOKENS']."
            )
        if any(c.isspace() for c in token) or not token.isprintable():
            raise ImproperlyConfigured(
                f"{self.setting}['TOKEN'] must not contain spaces or control characters."
            )
        return token

    def options(self) -> dict[str, Any]:
        """`OPTIONS` as `RestClient` keyword arguments, checked."""
        given = self.config.get("OPTIONS") or {}
        if isinstance(given, dict):
            reject_unknown_keys(given, _OPTIONS, setting=f"{self.setting}['OPTIONS']")
        values = {}
        for key, (argument, default, kind, positive) in _OPTIONS.items():
            value = option(self.config, key, default, setting=self.setting, kind=kind, minimum=0)
            if positive and value <= 0:
                raise ImproperlyConfigured(f"{self.setting}['OPTIONS'][{key!r}] must be > 0.")
            values[argument] = value
        return values

    def interface(self) -> type[Interface]:
        """`INTERFACE`: the domain's interface declaration, from which its client is derived."""
        path = self.config.get("INTERFACE")
        if not path or not isinstance(path, str):
            raise ImproperlyConfigured(
                f"{self.setting} has no 'INTERFACE'; set it to the dotted path of the "
                f"{self.domain} domain's Interface class to call it (an entry used only for "
                "reference checks needs no INTERFACE, and no service is built from it)."
            )
        cls = self.import_class("INTERFACE", path)
        if not issubclass(cls, Interface):
            raise ImproperlyConfigured(
                f"{self.setting}['INTERFACE'] = {path!r} is not an Interface subclass."
            )
        return cls

    def rest_client(self) -> RestClient:
        """The configured `RestClient` (its HTTP session is pooled per process)."""
        return RestClient(self.domain, self.url(), token=self.token(), **self.options())

    def create_service(self) -> Any:
        # The whole entry is checked before it is used, not only what the client needs.
        self.refers_to()
        self.required()
        rest = self.rest_client()  # URL, token and options are checked first
        return client_for(self.interface(), rest)

    def check(self) -> list[str]:
        problems = []
        for step in (
            self.url,
            self.token,
            self.options,
            *([self.interface] if "INTERFACE" in self.config else []),
            self.refers_to,
            self.required,
        ):
            try:
                step()
            except ImproperlyConfigured as exc:
                problems.append(str(exc))
        return problems

    def required(self) -> bool:
        """`REQUIRED` (default True): is this service degraded while the domain is unreachable?"""
        value = self.config.get("REQUIRED", True)
        if not isinstance(value, bool):
            raise ImproperlyConfigured(f"{self.setting}['REQUIRED'] must be True or False.")
        return value

    def protecting_references(self, targets: Targets) -> list[ProtectedReference]:
        """Ask the service which of its PROTECT references point at `targets` (one POST each
        `REFERENCE_BATCH` UUIDs: a building's whole cascade is usually one request)."""
        client = self.rest_client()
        pairs = [(target, str(uuid)) for target, uuids in targets.items() for uuid in uuids]
        found: list[ProtectedReference] = []
        for start in range(0, len(pairs), REFERENCE_BATCH):
            chunk: dict[str, list[str]] = {}
            for target, uuid in pairs[start : start + REFERENCE_BATCH]:
                chunk.setdefault(target, []).append(uuid)
            answer = client.request(
                "POST",
                "references/protecting",
                json={"targets": chunk},
                idempotent=True,  # a read: safe to retry
            )
            found += self._protected_references(answer)
        return found

    def _protected_references(self, answer: Any) -> list[ProtectedReference]:
        items = answer.get("protected_by") if isinstance(answer, dict) else None
        found = []
        for item in items if isinstance(items, list) else [None]:
            values: list[Any] = (
                [item.get(key) for key in _REFERENCE_KEYS] if isinstance(item, dict) else []
            )
            if not _is_reference(values):
                raise Unavailable(
                    f"The {self.domain} service answered its reference check with {answer!r:.200}.",
                    domain=self.domain,
                )
            target, uuid, referrer, count = values
            found.append(ProtectedReference(target, UUID(uuid), referrer, count))
        return found

    def ping(self, *, timeout: float = 2.0) -> dict[str, Any]:
        """Is the remote service up? `GET <URL>/health?shallow=1` once, with a short timeout."""
        try:
            # Configured like the domain's client, so it reports that client's circuit.
            client = RestClient(self.domain, self.url(), token=None, **self.options())
        except ImproperlyConfigured as exc:
            return {"status": "error", "detail": str(exc)}
        return client.ping(timeout=timeout)


_REFERENCE_KEYS = ("target", "uuid", "referrer", "count")


def _is_reference(values: list[Any]) -> bool:
    """Are these the fields of one well-formed `protected_by` item?"""
    if len(values) != 4 or not all(isinstance(v, str) for v in values[:3]):
        return False
    count = values[3]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return False
    try:
        UUID(values[1])
    except ValueError:
        return False
    return True
