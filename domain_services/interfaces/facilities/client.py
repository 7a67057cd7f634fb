"""The facilities domain over REST: `DOMAIN_SERVICES['facilities'] = {"BACKEND": "rest", ...}`."""

from __future__ import annotations

from uuid import UUID

from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.resources import ResourceClient
from domain_services.interfaces.facilities import BuildingDTO, FloorDTO, RoomDTO
from domain_services.uuids import parse_uuid


class FacilitiesClient:
    """`FacilitiesService` served by the facilities project's API."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.buildings = ResourceClient(rest, "buildings", BuildingDTO)
        self.floors = ResourceClient(rest, "floors", FloorDTO)
        self.rooms = ResourceClient(rest, "rooms", RoomDTO)

    def rooms_of_building(self, *, building_uuid: UUID | str) -> list[RoomDTO]:
        """Every room of one building, in one request (NotFound for no building)."""
        key = parse_uuid(building_uuid, field="building_uuid")
        return self.rest.get_dtos(f"buildings/{key}/rooms", RoomDTO)
