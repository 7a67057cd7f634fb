"""Which resource of which domain a `UUIDReference` points at, derived from the declarations.

`UUIDReference("facilities.Room")` targets the `facilities` domain. The object the registry
serves for it (`services.get("facilities")`, local or REST: the admin cannot tell) implements
the domain's `Interface`; of its resources, the one whose DTO is called `RoomDTO` (or `Room`),
else the one called `rooms` (or `room`), holds the rooms. Nothing is mapped by hand. A domain
served by one bare `ModelService` (no interface) is itself that resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from domain_services.interfaces import Interface, ResourceSpec
from domain_services.references import UUIDReference
from domain_services.registry import services


@dataclass(frozen=True)
class ReferenceTarget:
    """The resource that holds the objects a reference points at, and how staff name them."""

    domain: str
    model: str
    resource: Any  # get_many / list (a ModelService in process, a ResourceClient over REST)
    spec: ResourceSpec[Any] | None

    @property
    def key(self) -> tuple[str, str]:
        """Identifies the resource: references with the same key share one batch lookup."""
        return (self.domain, self.spec.name if self.spec is not None else self.model)

    @property
    def searchable(self) -> bool:
        """Does the resource declare text search (`search=(...)`)?"""
        return self.spec is None or bool(self.spec.search)

    def label_of(self, dto: Any) -> str:
        """The declared label of one object (`label`, else `name`, else its UUID)."""
        if self.spec is not None:
            return self.spec.label_of(dto)
        return str(getattr(dto, "name", None) or dto.uuid)


def uuid_reference(model: type[models.Model], name: str) -> UUIDReference | None:
    """The model's field `name` if it is a `UUIDReference`, else None."""
    try:
        field = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a name that is not a field at all
        return None
    return field if isinstance(field, UUIDReference) else None


def reference_target(field: UUIDReference) -> ReferenceTarget:
    """The resource `field` points at, as this process reaches it now.

    ImproperlyConfigured (with the reason) when this process has no interface of the target
    domain: no `DOMAIN_SERVICES` entry, an entry used only for reference checks (no
    `INTERFACE`), or an interface without a resource for the target model.
    """
    domain, model = field.target_domain, field.target_model
    service = services.get(domain)
    if isinstance(service, Interface):
        name = resource_name(type(service), model)
        if name is None:
            raise ImproperlyConfigured(missing_resource_message(field, type(service)))
        return ReferenceTarget(domain, model, getattr(service, name), type(service).resources[name])
    if callable(getattr(service, "get_many", None)):
        spec = getattr(service, "declaration", None)
        return ReferenceTarget(
            domain, model, service, spec if isinstance(spec, ResourceSpec) else None
        )
    raise ImproperlyConfigured(
        f"The {domain!r} domain's service ({type(service).__name__}) implements no Interface, "
        f"so {field.to!r} cannot be looked up; make it subclass the domain's Interface."
    )


def resource_name(interface: type[Interface], model: str) -> str | None:
    """The resource of `interface` holding `model` objects: by DTO name, else by its own name."""
    dto_names = {f"{model}DTO", model}
    by_dto = [n for n, spec in interface.resources.items() if spec.dto.__name__ in dto_names]
    if len(by_dto) == 1:
        return by_dto[0]
    snake = _snake(model)
    by_name = [n for n in interface.resources if n in (snake, f"{snake}s")]
    return by_name[0] if len(by_name) == 1 else None


def missing_resource_message(field: UUIDReference, interface: type[Interface]) -> str:
    """Why `field`'s target has no resource in `interface`, and how to fix it."""
    model = field.target_model
    return (
        f"{field.model._meta.label}.{field.name} refers to {field.to!r}, but no resource of "
        f"{interface.__name__} holds {model} objects: name its DTO {model}DTO (or the resource "
        f"{_snake(model)}s). Resources: {sorted(interface.resources)}."
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
