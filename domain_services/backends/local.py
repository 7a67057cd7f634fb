"""The `local` backend: the domain's implementation runs in this process on its own database."""

from __future__ import annotations

import inspect
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from domain_services.backends import Backend


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

    def create_service(self) -> Any:
        cls = self.service_class()
        options = self.config.get("OPTIONS") or {}
        try:
            inspect.signature(cls).bind(**options)
        except TypeError as exc:
            raise ImproperlyConfigured(
                f"{self.setting}['OPTIONS'] does not fit {cls.__name__}(): {exc}"
            ) from None
        return cls(**options)

    def check(self) -> list[str]:
        try:
            self.service_class()
        except ImproperlyConfigured as exc:
            return [str(exc)]
        return []
