"""The devices domain's public interface: devices, where they are and who owns them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from domain_services.interfaces.resource import Resource


@dataclass(frozen=True, slots=True)
class DeviceDTO:
    uuid: UUID
    eui: str
    name: str
    kind: str
    firmware: str
    room: UUID
    organization: UUID
    created_at: datetime


@runtime_checkable
class DevicesService(Protocol):
    """What other domains may ask of the devices domain."""

    devices: Resource[DeviceDTO]

    def devices_for_building(self, *, building_uuid: UUID | str) -> list[DeviceDTO]:
        """Every device in the rooms of one building: a fixed number of queries and calls."""
        ...

    def register_device(self, **fields: Any) -> DeviceDTO:
        """Register a device after checking its room and organization in their domains."""
        ...

    def update_device(self, uuid: UUID | str, **fields: Any) -> DeviceDTO:
        """Change a device; a new room or organization is checked like on registration."""
        ...

    def decommission_device(self, uuid: UUID | str) -> None:
        """Remove a device."""
        ...


__all__ = ["DeviceDTO", "DevicesService"]
