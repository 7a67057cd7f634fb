"""The registry: one way to obtain a domain's service, configured by `DOMAIN_SERVICES`.

    DOMAIN_SERVICES = {
        "facilities": {"BACKEND": "local", "SERVICE": "facilities.services.FacilitiesService"},
        "users": {"BACKEND": "rest", "URL": "http://users:8000", "TOKEN": "..."},
    }

    from domain_services import services
    rooms = services.facilities.rooms_of_building(building_uuid=...)

Calling code never names the backend, so moving a domain between `local` and `rest` is a
settings change only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, overload

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from domain_services.backends import ALIASES, Backend
from domain_services.conf import settings_dict

T = TypeVar("T")
SETTING = "DOMAIN_SERVICES"


def domain_configs() -> dict[str, dict[str, Any]]:
    """The validated `DOMAIN_SERVICES` entries, keyed by domain."""
    configs = settings_dict(SETTING)
    for domain, config in configs.items():
        if not isinstance(domain, str) or not domain.isidentifier():
            raise ImproperlyConfigured(
                f"{SETTING} key {domain!r} must be a domain name usable as an identifier."
            )
        if not isinstance(config, Mapping):
            raise ImproperlyConfigured(f"{SETTING}[{domain!r}] must be a dictionary.")
    return {domain: dict(config) for domain, config in configs.items()}


def load_backend(domain: str, config: Mapping[str, Any]) -> Backend:
    """The backend object for one `DOMAIN_SERVICES` entry."""
    setting = f"{SETTING}[{domain!r}]"
    name = config.get("BACKEND")
    if not name or not isinstance(name, str):
        raise ImproperlyConfigured(
            f"{setting} has no 'BACKEND'; set it to 'local', 'rest' or a backend class path."
        )
    path = ALIASES.get(name, name)
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{setting}['BACKEND'] = {name!r} cannot be imported: {exc}"
        ) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
        raise ImproperlyConfigured(f"{setting}['BACKEND'] = {name!r} is not a Backend class.")
    return backend_class(domain, dict(config))


class ServiceRegistry:
    """Per-process cache of domain services, built lazily from `DOMAIN_SERVICES`."""

    def __init__(self) -> None:
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._scoped: ContextVar[Mapping[str, Any] | None] = ContextVar(
            "domain_services", default=None
        )

    @overload
    def get(self, domain: str) -> Any: ...

    @overload
    def get(self, domain: str, interface: type[T]) -> T: ...

    def get(self, domain: str, interface: type[T] | None = None) -> T | Any:
        """The service for `domain`; with `interface` (the domain's `Interface`), checked to
        implement it and typed as it: `services.get("facilities", Facilities).rooms.get(...)`
        is checked by mypy, whichever backend serves the domain."""
        service = (self._scoped.get() or {}).get(domain) or self._services.get(domain)
        if service is None:
            with self._lock:
                service = self._services.get(domain)
                if service is None:
                    service = self._services[domain] = self._create(domain)
        if interface is not None and not isinstance(service, interface):
            raise ImproperlyConfigured(
                f"{SETTING}[{domain!r}] gives {type(service).__name__}, which does not "
                f"implement {interface.__name__}."
            )
        return service

    def __getattr__(self, domain: str) -> Any:
        if domain.startswith("_"):
            raise AttributeError(domain)
        return self.get(domain)

    def __getitem__(self, domain: str) -> Any:
        return self.get(domain)

    def domains(self) -> list[str]:
        """The domains configured in `DOMAIN_SERVICES`."""
        return list(domain_configs())

    def backend(self, domain: str) -> Backend:
        """The backend that serves `domain` (for health checks and diagnostics)."""
        configs = domain_configs()
        if domain not in configs:
            raise ImproperlyConfigured(
                f"{SETTING} has no {domain!r} entry; add one with a 'BACKEND' ('local' or 'rest')."
            )
        return load_backend(domain, configs[domain])

    def override(self, domain: str, service: Any) -> None:
        """Serve `domain` with `service` (tests and wiring code)."""
        with self._lock:
            self._services[domain] = service

    @contextmanager
    def overriding(self, **domain_services: Any) -> Iterator[None]:
        """Serve these domains with these objects in the current context only.

        Other threads (a live test server, say) keep the configured services, so a test can
        call its own code over REST while the server side stays local.
        """
        token = self._scoped.set({**(self._scoped.get() or {}), **domain_services})
        try:
            yield
        finally:
            self._scoped.reset(token)

    def clear(self) -> None:
        """Forget every built service; the next lookup reads the settings again."""
        with self._lock:
            self._services.clear()

    def _create(self, domain: str) -> Any:
        return self.backend(domain).create_service()


services = ServiceRegistry()


def _reset_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        services.clear()


setting_changed.connect(_reset_on_settings_change)
