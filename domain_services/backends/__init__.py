"""How a project reaches a domain: `local` (in this process) or `rest` (over HTTP)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class Backend:
    """Builds the object that serves one domain's public interface for this process."""

    def __init__(self, domain: str, config: dict[str, Any]) -> None:
        self.domain = domain
        self.config = config
        self.setting = f"DOMAIN_SERVICES[{domain!r}]"

    def create_service(self) -> Any:
        raise NotImplementedError

    def import_class(self, key: str, path: str, *, hint: str = "") -> type:
        """The class at dotted `path`, named in this entry's `key`; ImproperlyConfigured if not."""
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"{self.setting}[{key!r}] = {path!r}{hint} cannot be imported: {exc}"
            ) from exc
        if not isinstance(cls, type):
            raise ImproperlyConfigured(f"{self.setting}[{key!r}] = {path!r} is not a class.")
        return cls

    def check(self) -> list[str]:
        """Problems with the configuration, as messages naming the setting (for system checks)."""
        return []


ALIASES = {
    "local": "domain_services.backends.local.LocalBackend",
    "rest": "domain_services.integrations.rest.backend.RestBackend",
}
