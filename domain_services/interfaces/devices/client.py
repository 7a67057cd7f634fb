"""The devices domain over REST: `DOMAIN_SERVICES['devices'] = {"BACKEND": "rest", ...}`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.resources import ResourceClient
from domain_services.interfaces.devices import DeviceDTO
from domain_services.uuids import parse_uuid


class DevicesClient:
    """`DevicesService` served by the devices project's API."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.devices = ResourceClient(rest, "devices", DeviceDTO)

    def devices_for_building(self, *, building_uuid: UUID | str) -> list[DeviceDTO]:
        """Every device in the rooms of one building, in one request."""
        key = parse_uuid(building_uuid, field="building_uuid")
        return self.rest.get_dtos(f"buildings/{key}/devices", DeviceDTO)

    def register_device(self, **fields: Any) -> DeviceDTO:
        """Register a device (the devices service checks its room and organization)."""
        return self.devices.create(**fields)

    def update_device(self, uuid: UUID | str, **fields: Any) -> DeviceDTO:
        """Change a device."""
        return self.devices.update(uuid, **fields)

    def decommission_device(self, uuid: UUID | str) -> None:
        """Remove a device."""
        self.devices.delete(uuid)
