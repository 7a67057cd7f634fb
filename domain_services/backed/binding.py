"""How one service-backed model maps onto its resource: the declaration, the live resource, and
model instances built from DTOs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from domain_services.registry import services

# Rows an unsliced queryset may fetch before it refuses (see `ServiceQuery.fetch`).
MAX_ROWS = 1000
# Where `save()` remembers the values it loaded, to send only what changed.
LOADED = "_service_loaded"


@dataclass(frozen=True)
class Binding:
    """A service-backed model's resource: `spec` is its declaration (`Devices.devices`)."""

    model: type[Any]
    # A ResourceSpec; typed Any because mypy would read the declaration's __get__ here.
    spec: Any
    max_rows: int = MAX_ROWS

    @property
    def domain(self) -> str:
        interface = self.spec.interface
        assert interface is not None  # checked when the model class is made
        return interface.domain

    @property
    def label(self) -> str:
        return f"the {self.domain} interface's {self.spec.name!r} resource"

    def resource(self) -> Any:
        """The resource as the registry serves it now: in this process or over REST."""
        interface = self.spec.interface
        assert interface is not None
        return getattr(services.get(self.domain, interface), self.spec.name)

    def field_names(self) -> list[str]:
        """The model's concrete fields, each also a field of the DTO."""
        return [field.name for field in self.model._meta.concrete_fields]

    def instances(self, dtos: Iterable[Any]) -> list[Any]:
        """Model instances of these DTOs, fetched together (one batch for their references)."""
        from domain_services.backed.relations import RowBatch

        fields = self.model._meta.concrete_fields
        names = [field.name for field in fields]
        attnames = [field.attname for field in fields]
        objs = []
        for dto in dtos:
            values = [getattr(dto, name) for name in names]
            obj = self.model.from_db(DEFAULT_DB_ALIAS, attnames, values)
            obj.__dict__[LOADED] = dict(zip(names, values, strict=True))
            objs.append(obj)
        RowBatch.attach(objs)
        return objs

    def refresh(self, obj: Any, dto: Any) -> None:
        """Copy a DTO the service answered into `obj`, which is now stored."""
        loaded = {}
        for field in self.model._meta.concrete_fields:
            value = getattr(dto, field.name)
            # A reference that changed drops its cached object (ForeignKeyDeferredAttribute).
            setattr(obj, field.attname, value)
            loaded[field.name] = value
        obj.__dict__[LOADED] = loaded
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
