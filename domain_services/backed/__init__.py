"""Service-backed models: the views, forms and templates of a legacy webapp, on domains.

A `ServiceModel` is a Django model whose manager and querysets call a domain's interface
instead of a database, so generic views, ModelForms, paginators and templates keep working
when the data moves into domain services (local or over REST):

- `ServiceModel` (`class Device(ServiceModel, resource=Devices.devices)`): the model;
- `ServiceQuerySet`, `ServiceManager`: the ORM mapped onto `list`, `get_many`, `create`,
  `update` and `delete`; forward references resolved in one call per page;
- `batched_property`: a value another call gives (a live status), one call per page;
- `SaveErrorsAsFormErrors`: the service's refusal on `save()` shown on the form;
- `UnsupportedQuery`: what cannot be mapped faithfully (aggregates, joins across resources,
  OR across fields, raw SQL, row locks, transactions spanning domains), raised at the call.

docs/portal.md has the full mapping and the reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain_services.backed.errors import UnsupportedQuery
from domain_services.backed.queryset import ServiceManager, ServiceQuerySet
from domain_services.backed.relations import batched_property
from domain_services.backed.views import SaveErrorsAsFormErrors

if TYPE_CHECKING:
    from domain_services.backed.models import ServiceModel

__all__ = [
    "SaveErrorsAsFormErrors",
    "ServiceManager",
    "ServiceModel",
    "ServiceQuerySet",
    "UnsupportedQuery",
    "batched_property",
]


def __getattr__(name: str) -> Any:
    # A model class can only be defined once the app registry is ready, so it loads on use.
    if name == "ServiceModel":
        from domain_services.backed.models import ServiceModel

        return ServiceModel
    raise AttributeError(f"module 'domain_services.backed' has no attribute {name!r}")
