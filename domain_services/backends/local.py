"""The `local` backend: the domain's implementation runs in this process on its own database."""

from __future__ import annotations

import inspect
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from domain_services.backends import Backend
from domain_services.interfaces import Interface


class LocalBackend(Backend):
    """`{"BACKEND": "local", "SERVICE": "facilities.services.FacilitiesService"}`."""

    def service_class(self) -> type:
        path = self.config.get("SERVICE")
        if not path or not isinstance(path, str):
            raise ImproperlyConfigured(
                f"{self.setting} has no 'SERVICE'; set it to the dotted path of the class that "
                f"implements the {self.domain} domain in this process."
            )
        return self.import_class("SERVICE", path)

    def interface(self) -> type[Interface] | None:
        """The interface the service class implements (it subclasses it), or None."""
        cls = self.service_class()
        return getattr(cls, "declaration", None) if issubclass(cls, Interface) else None

    def urls(self) -> str | None:
        """A module of extra API URL patterns served with the domain (custom views): `URLS`,
        else the service class's `api_urls` attribute, so every project serving the domain
        serves them."""
        value = self.config.get("URLS", getattr(self.service_class(), "api_urls", None))
        if value is not None and not (isinstance(value, str) and value):
            raise ImproperlyConfigured(f"{self.setting}['URLS'] must be a dotted module path.")
        return value

    def serves_here(self) -> bool:
        return True

    def create_service(self) -> Any:
        cls = self.service_class()
        options = self.config.get("OPTIONS") or {}
        try:
            inspect.signature(cls).bind(**options)
        except TypeError as exc:
            raise ImproperlyConfigured(
                f"{self.setting}['OPTIONS'] does not fit {cls.__name__}(): {exc}"
            ) from None
        service = cls(**options)
        interface = self.interface()
        gaps = interface.missing(service) if interface is not None else []
        if gaps:
            raise ImproperlyConfigured(
                f"{self.setting}['SERVICE'] = {cls.__name__} does not implement all of "
                f"{interface.__name__}: {', '.join(gaps)} missing."  # type: ignore[union-attr]
            )
        return service

    def check(self) -> list[str]:
        try:
            self.service_class()
            self.urls()
        except ImproperlyConfigured as exc:
            return [str(exc)]
        return []
