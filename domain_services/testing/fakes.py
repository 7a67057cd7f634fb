"""In-memory stand-ins for the domain interfaces, for fast tests of the domains that call them.

    services.override("users", FakeUsersService())

A fake keeps DTOs in a dict and answers like the real services for the happy path and for the
errors callers branch on (NotFound, malformed UUIDs). Anything that must behave exactly like the
real thing is covered by the contract suites, which run against local and REST backends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid as uuid_module
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain_services.errors import NotFound, ValidationFailed
from domain_services.interfaces.facilities import BuildingDTO, FloorDTO, RoomDTO
from domain_services.interfaces.users import OrganizationDTO, PersonDTO
from domain_services.page import Page
from domain_services.uuids import parse_uuid, parse_uuids

D = TypeVar("D")


class InMemoryResource(Generic[D]):
    """A `Resource` over a dict; `calls` counts lookups so tests can assert batching."""

    def __init__(self, dto: type[D]) -> None:
        self.dto = dto
        self.items: dict[UUID, D] = {}
        self.calls: list[str] = []

    def add(self, item: D) -> D:
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
        page_size: int = 50,
    ) -> Page[D]:
        self.calls.append("list")
        matches = [
            item
            for item in self.items.values()
            if all(getattr(item, k) == v for k, v in (filters or {}).items())
        ]
        start = (page - 1) * page_size
        return Page(tuple(matches[start : start + page_size]), len(matches), page, page_size)

    def create(self, **fields: Any) -> D:
        known = {f.name for f in dataclasses.fields(self.dto)}  # type: ignore[arg-type]
        unknown = set(fields) - known
        if unknown:
            raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
        fields.setdefault("uuid", uuid_module.uuid4())
        if "created_at" in known:
            fields.setdefault("created_at", dt.datetime.now(dt.UTC))
        return self.add(self.dto(**fields))

    def update(self, uuid: UUID | str, **fields: Any) -> D:
        return self.add(dataclasses.replace(self.get(uuid), **fields))  # type: ignore[type-var]

    def delete(self, uuid: UUID | str) -> None:
        self.items.pop(self.get(uuid).uuid)  # type: ignore[attr-defined]


class FakeUsersService:
    """An in-memory users domain."""

    def __init__(self) -> None:
        self.organizations = InMemoryResource(OrganizationDTO)
        self.people = InMemoryResource(PersonDTO)

    def members_of_organization(
        self, *, organization_uuid: UUID | str, page: int = 1, page_size: int = 50
    ) -> Page[PersonDTO]:
        organization = self.organizations.get(organization_uuid)
        return self.people.list(
            filters={"organization": organization.uuid}, page=page, page_size=page_size
        )


class FakeFacilitiesService:
    """An in-memory facilities domain."""

    def __init__(self) -> None:
        self.buildings = InMemoryResource(BuildingDTO)
        self.floors = InMemoryResource(FloorDTO)
        self.rooms = InMemoryResource(RoomDTO)

    def rooms_of_building(self, *, building_uuid: UUID | str) -> list[RoomDTO]:
        building = self.buildings.get(building_uuid)
        self.rooms.calls.append("rooms_of_building")
        return [room for room in self.rooms.items.values() if room.building == building.uuid]
