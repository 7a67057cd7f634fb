"""The facilities domain's public interface: buildings > floors > rooms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain_services.interfaces.resource import Resource


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


@dataclass(frozen=True, slots=True)
class RoomDTO:
    uuid: UUID
    floor: UUID
    building: UUID
    organization: UUID
    name: str


@runtime_checkable
class FacilitiesService(Protocol):
    """What other domains may ask of the facilities domain."""

    buildings: Resource[BuildingDTO]
    floors: Resource[FloorDTO]
    rooms: Resource[RoomDTO]

    def rooms_of_building(self, *, building_uuid: UUID | str) -> list[RoomDTO]:
        """Every room of one building, in one call (NotFound for no building)."""
        ...


__all__ = ["BuildingDTO", "FacilitiesService", "FloorDTO", "RoomDTO"]
