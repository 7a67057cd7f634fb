"""How a project reaches a domain: `local` (in this process) or `rest` (over HTTP)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from domain_services.references import is_model_label

if TYPE_CHECKING:
    from domain_services.reference_policies import ProtectedReference, Targets


class Backend:
    """Builds the object that serves one domain's public interface for this process."""

    def __init__(self, domain: str, config: dict[str, Any]) -> None:
        self.domain = domain
        self.config = config
        self.setting = f"DOMAIN_SERVICES[{domain!r}]"

    def create_service(self) -> Any:
        raise NotImplementedError

    def serves_here(self) -> bool:
        """Does this process serve the domain (its data and its API)? Only `local` does."""
        return False

    def interface(self) -> Any:
        """The domain's `Interface` declaration, when the entry names one."""
        return None

    def urls(self) -> str | None:
        """A module of extra API URL patterns served with the domain (`URLS`), if any."""
        return None

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

    def refers_to(self) -> list[str]:
        """`REFERS_TO`: which of this process's models (`"domain.Model"`) the domain refers to.

        Only a domain served elsewhere needs it: before one of these objects is deleted here,
        the domain is asked whether a PROTECT reference still points at it.
        """
        value = self.config.get("REFERS_TO", [])
        if not isinstance(value, list | tuple) or not all(map(is_model_label, value)):
            raise ImproperlyConfigured(
                f"{self.setting}['REFERS_TO'] must be a list of 'domain.Model' labels, "
                f"like ['facilities.Room'], not {value!r}."
            )
        return [item.lower() for item in value]

    def protecting_references(self, targets: Targets) -> list[ProtectedReference]:
        """The domain's PROTECT references that still point at any of `targets`.

        `targets` maps model labels this domain refers to (`"facilities.Room"`) to the UUIDs
        about to be deleted. In-process domains answer through
        `reference_policies.protecting_references`, so the base answers none; a backend for a
        domain served elsewhere asks it, in one batch.
        """
        return []

    def check(self) -> list[str]:
        """Problems with the configuration, as messages naming the setting (for system checks)."""
        try:
            self.refers_to()
        except ImproperlyConfigured as exc:
            return [str(exc)]
        return []


ALIASES = {
    "local": "domain_services.backends.local.LocalBackend",
    "rest": "domain_services.integrations.rest.backend.RestBackend",
}
