"""domain_services: a service layer for Django, one autonomous service per business domain.

The whole public API:

- `DomainModel`, `UUIDReference`, `OnDelete`: skinny models and references into other domains.
- `ModelService`, `BaseService`, `Page`: services that own a domain's data and return DTOs.
- `services`: the registry; `services.facilities` is the facilities domain, local or over REST.
- `DomainError` and its kinds: `NotFound`, `Conflict`, `ValidationFailed`, `PermissionDenied`,
  `Unavailable`.
- `events`: domain events (`ObjectCreated`, `ObjectUpdated`, `ObjectDeleted`), delivered after
  commit in this process and, through the outbox, to other processes (docs/events.md).
- `parse_uuid`, `parse_uuids`: outside input to UUIDs, or a validation error.

Integrations live in `domain_services.integrations.{mongodb,mqtt,rest}` (install the extra of the
same name), domain interfaces in `domain_services.interfaces`, device services in
`domain_services.devices`, service-backed models (a legacy webapp's views, forms and templates
on a domain's interface) in `domain_services.backed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain_services import events
from domain_services.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    Unavailable,
    ValidationFailed,
)
from domain_services.references import OnDelete, UUIDReference
from domain_services.registry import services
from domain_services.service import BaseService, ModelService, Page
from domain_services.uuids import parse_uuid, parse_uuids

if TYPE_CHECKING:
    from domain_services.models import DomainModel

__version__ = "0.1.0"

__all__ = [
    "BaseService",
    "Conflict",
    "DomainError",
    "DomainModel",
    "ModelService",
    "NotFound",
    "OnDelete",
    "Page",
    "PermissionDenied",
    "UUIDReference",
    "Unavailable",
    "ValidationFailed",
    "events",
    "parse_uuid",
    "parse_uuids",
    "services",
]


def __getattr__(name: str) -> Any:
    # A model class can only be defined once the app registry is ready, so it loads on use.
    if name == "DomainModel":
        from domain_services.models import DomainModel

        return DomainModel
    raise AttributeError(f"module 'domain_services' has no attribute {name!r}")
