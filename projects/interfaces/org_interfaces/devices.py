"""The devices domain's interface: devices, where they are and who owns them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from domain_services.devices.eui import EUI_PATTERN
from domain_services.interfaces import Field, Interface, query, resource

Kind = Literal["sensor", "meter", "actuator", "gateway"]


@dataclass(frozen=True, slots=True)
class DeviceDTO:
    uuid: UUID
    eui: str
    name: str
    kind: Kind
    firmware: str
    room: UUID
    organization: UUID
    created_at: datetime
    # The room it monitors when mounted elsewhere (a meter in a cabinet, a sensor in a duct);
    # cleared when that room is deleted.
    monitored_room: UUID | None = None


@dataclass(frozen=True, slots=True)
class ThresholdDTO:
    """The range a reading should stay in, in one room; deleted with its room."""

    uuid: UUID
    room: UUID
    reading: str  # a reading's key in device statuses: "temperature", "co2"
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True, slots=True)
class DeviceStatusDTO:
    """A device's live status: its last report, as the devices domain stored it."""

    uuid: UUID  # the device
    online: bool  # reported within the status store's online window
    last_seen: datetime | None  # when the last report was stored
    reported_at: datetime | None  # the device's own time in that report
    fields: dict[str, Any]  # battery, signal, readings...


PLACE = {"room": Field(), "organization": Field()}
READING = r"^[a-z][a-z0-9_]{0,63}$"


class Devices(Interface, domain="devices"):
    """What other domains may ask of the devices domain."""

    devices = resource(
        DeviceDTO,
        filters={"room": UUID, "organization": UUID, "kind": Kind, "eui": str},
        ordering=("name", "eui", "kind", "created_at"),
        search=("name", "eui"),
        create={
            "eui": Field(
                max_length=23,
                pattern=EUI_PATTERN,
                help_text="16 hex digits, or 8 pairs separated by '-' or ':' "
                "(70-B3-D5-7E-D0-00-12-34).",
            ),
            "name": Field(max_length=200),
            "kind": Field(required=False),
            "firmware": Field(max_length=50, required=False, allow_blank=True),
            **PLACE,
            "monitored_room": Field(required=False, nullable=True),
        },
        update={
            "name": Field(max_length=200, required=False),
            "kind": Field(required=False),
            "firmware": Field(max_length=50, required=False, allow_blank=True),
            "room": Field(required=False),
            "organization": Field(required=False),
            "monitored_room": Field(required=False, nullable=True),
        },
        delete=True,
    )
    thresholds = resource(
        ThresholdDTO,
        filters={"room": UUID, "reading": str},
        ordering=("reading",),
        create={
            "room": Field(),
            "reading": Field(max_length=64, pattern=READING, help_text="e.g. temperature"),
            "minimum": Field(required=False, nullable=True),
            "maximum": Field(required=False, nullable=True),
        },
        update={
            "minimum": Field(required=False, nullable=True),
            "maximum": Field(required=False, nullable=True),
        },
        delete=True,
        label="reading",
    )

    @query(route="buildings/{building_uuid}/devices")
    def devices_for_building(self, *, building_uuid: UUID) -> list[DeviceDTO]:
        """Every device in the rooms of one building: a fixed number of queries and calls."""
        raise NotImplementedError

    @query(route="device-statuses")
    def device_statuses(self, *, uuids: list[UUID]) -> list[DeviceStatusDTO]:
        """The live status of each of these devices that has reported one (at most 500 UUIDs;
        unknown devices and devices that never reported are left out): one call, however many."""
        raise NotImplementedError

    # Names the domain's own language gives to resource operations: plain methods, the same
    # whichever backend serves the domain.

    def register_device(self, **fields: Any) -> DeviceDTO:
        """Register a device after checking its room and organization in their domains."""
        return self.devices.create(**fields)

    def update_device(self, uuid: UUID | str, **fields: Any) -> DeviceDTO:
        """Change a device; a new room or organization is checked like on registration."""
        return self.devices.update(uuid, **fields)

    def decommission_device(self, uuid: UUID | str) -> None:
        """Remove a device."""
        self.devices.delete(uuid)
