"""The facilities domain's interface: buildings > floors > rooms."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain_services.interfaces import Field, Interface, query, resource


@dataclass(frozen=True, slots=True)
class BuildingDTO:
    uuid: UUID
    name: str
    address: str
    organization: UUID


@dataclass(frozen=True, slots=True)
class FloorDTO:
    uuid: UUID
    building: UUID
    level: int
    name: str
    label: str  # "HQ / Floor 2": what staff see


@dataclass(frozen=True, slots=True)
class RoomDTO:
    uuid: UUID
    floor: UUID
    building: UUID
    organization: UUID
    name: str
    label: str  # "HQ / Floor 2 / 203": what staff see


class Facilities(Interface, domain="facilities"):
    """What other domains may ask of the facilities domain."""

    buildings = resource(
        BuildingDTO,
        filters={"organization": UUID},
        ordering=("name", "created_at"),
        search=("name", "address"),
        create={
            "name": Field(max_length=200),
            "address": Field(max_length=300, required=False, allow_blank=True),
            "organization": Field(),
        },
        delete=True,
    )
    floors = resource(
        FloorDTO,
        filters={"building": UUID, "level": int},
        ordering=("level", "name"),
        search=("name",),
        create={
            "building": Field(),
            "level": Field(min_value=-20, max_value=300),
            "name": Field(max_length=100, required=False, allow_blank=True),
        },
        delete=True,
        label="label",
    )
    rooms = resource(
        RoomDTO,
        filters={"floor": UUID, "name": str},
        ordering=("name",),
        search=("name",),
        create={"floor": Field(), "name": Field(max_length=100)},
        delete=True,
        label="label",
    )

    @query(route="buildings/{building_uuid}/rooms")
    def rooms_of_building(self, *, building_uuid: UUID) -> list[RoomDTO]:
        """Every room of one building, in one call (NotFound for no building)."""
        raise NotImplementedError
