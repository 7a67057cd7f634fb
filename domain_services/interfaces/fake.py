"""An in-memory implementation of any interface, derived from its declaration.

    services.override("facilities", fake(Facilities))

Each resource keeps DTOs in a dict and answers like a `ModelService` for what callers branch on:
`NotFound`, malformed UUIDs, unknown filters and orderings, page limits, unknown fields. A
custom operation has no behaviour to derive: subclass `fake_class(Facilities)` and implement
the operations your tests call; the others raise `NotImplementedError` naming themselves.
Contract tests keep a fake honest where it matters (`domain_services.testing.contract`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import uuid as uuid_module
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain_services.errors import NotFound, ValidationFailed
from domain_services.interfaces.declaration import Interface, OperationSpec, ResourceSpec
from domain_services.page import Page
from domain_services.uuids import parse_uuid, parse_uuids

D = TypeVar("D")
IFace = TypeVar("IFace", bound=Interface)


class InMemoryResource(Generic[D]):
    """A resource over a dict, keeping its declaration's rules; `calls` records each call."""

    def __init__(self, spec: ResourceSpec[D]) -> None:
        self.spec = spec
        self.dto = spec.dto
        self.items: dict[UUID, D] = {}
        self.calls: list[str] = []

    def add(self, item: D) -> D:
        """Store `item` as it is (test set-up)."""
        self.items[item.uuid] = item  # type: ignore[attr-defined]
        return item

    def get(self, uuid: UUID | str) -> D:
        self.calls.append("get")
        key = parse_uuid(uuid)
        if key not in self.items:
            raise NotFound(f"{self.dto.__name__} {key} does not exist.", uuid=key)
        return self.items[key]

    def get_many(self, uuids: Iterable[UUID | str]) -> dict[UUID, D]:
        self.calls.append("get_many")
        return {key: self.items[key] for key in parse_uuids(uuids) if key in self.items}

    def list(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        ordering: Sequence[str] | str | None = None,
        page: int = 1,
        page_size: int | None = None,
        search: str | None = None,
    ) -> Page[D]:
        self.calls.append("list")
        page_size = self.spec.page_size if page_size is None else page_size
        self.spec.check_page(page, page_size)
        self.spec.check_filters(filters or {})  # refused even when nothing is stored
        matches = [item for item in self.items.values() if self._matches(item, filters or {})]
        if search and not self.spec.search:
            raise ValidationFailed.for_field("search", f"{self.dto.__name__} cannot be searched.")
        if search:
            needle = search.casefold()
            matches = [
                item
                for item in matches
                if any(needle in str(getattr(item, f) or "").casefold() for f in self.spec.search)
            ]
        for key in reversed(self.spec.check_ordering(ordering)):
            name = key.lstrip("-")
            matches.sort(key=functools.partial(_sort_key, name), reverse=key[0] == "-")
        start = (page - 1) * page_size
        return Page(tuple(matches[start : start + page_size]), len(matches), page, page_size)

    def create(self, **fields: Any) -> D:
        self.calls.append("create")
        values = self._checked(fields, self.spec.create_fields, partial=False)
        values.setdefault("uuid", uuid_module.uuid4())
        for f in dataclasses.fields(self.dto):  # type: ignore[arg-type]
            if f.name in ("created_at", "updated_at"):
                values.setdefault(f.name, dt.datetime.now(dt.UTC))
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                values.setdefault(f.name, None)  # derived by the real service; none here
        return self.add(self.dto(**values))

    def update(self, uuid: UUID | str, **fields: Any) -> D:
        self.calls.append("update")
        values = self._checked(fields, self.spec.update_fields, partial=True)
        current = self.get(uuid)
        return self.add(dataclasses.replace(current, **values))  # type: ignore[type-var]

    def delete(self, uuid: UUID | str) -> None:
        self.calls.append("delete")
        self.items.pop(self.get(uuid).uuid)  # type: ignore[attr-defined]

    def _checked(self, fields: Mapping[str, Any], allowed: Mapping[str, Any], *, partial: bool):
        unknown = sorted(set(fields) - set(allowed))
        if unknown:
            raise ValidationFailed({name: ["Unknown or read-only field."] for name in unknown})
        missing = [
            name for name, f in allowed.items() if f.required and not partial and name not in fields
        ]
        if missing:
            raise ValidationFailed({name: ["This field is required."] for name in missing})
        known = {f.name for f in dataclasses.fields(self.dto)}  # type: ignore[arg-type]
        return {name: value for name, value in fields.items() if name in known}

    def _matches(self, item: D, filters: Mapping[str, Any]) -> bool:
        for name, wanted in self.spec.check_filters(filters).items():
            value = getattr(item, name)
            if isinstance(wanted, list) and value not in wanted:
                return False
            if not isinstance(wanted, list) and value != wanted:
                return False
        return True


def _sort_key(name: str, item: Any) -> tuple[bool, Any]:
    value = getattr(item, name, None)  # an ordering on a field the DTO does not carry
    return (value is None, value if value is not None else 0)


_FAKE_CLASSES: dict[type, type] = {}


def fake_class(interface: type[IFace]) -> type[IFace]:
    """The in-memory implementation class of `interface`, to subclass for custom operations."""
    if interface not in _FAKE_CLASSES:
        _FAKE_CLASSES[interface] = _make_fake_class(interface)
    return _FAKE_CLASSES[interface]


def _make_fake_class(interface: type[IFace]) -> type[IFace]:

    def __init__(self: Any) -> None:
        for name, spec in interface.resources.items():
            setattr(self, name, InMemoryResource(spec))

    namespace: dict[str, Any] = {
        "__init__": __init__,
        "__doc__": f"An in-memory {interface.__name__}.",
        "__module__": interface.__module__,
    }
    for name, spec in interface.operations.items():
        namespace[name] = _not_faked(interface, spec)
    return types.new_class(
        f"Fake{interface.__name__}", (interface,), {}, lambda ns: ns.update(namespace)
    )


def fake(interface: type[IFace]) -> IFace:
    """An in-memory implementation of `interface`."""
    return fake_class(interface)()


def _not_faked(interface: type[Interface], spec: OperationSpec) -> Any:
    def operation(self: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"The fake {interface.__name__} has no {spec.name}(); subclass "
            f"fake_class({interface.__name__}) and implement it for your test."
        )

    operation.__name__ = spec.name
    return operation
