"""The devices domain, implemented on this project's database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain_services import ModelService, NotFound, ValidationFailed, parse_uuids, services
from domain_services.devices.commands import CommandSent
from domain_services.devices.eui import normalize_eui
from domain_services.devices.status_store import DeviceStatus
from org_interfaces.devices import DeviceDTO, Devices, DeviceStatusDTO, ThresholdDTO
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users

from . import live
from .models import Device, Threshold

STATUS_BATCH = 500  # device UUIDs per device_statuses() call


class DeviceService(ModelService[Device, DeviceDTO]):
    """Devices; a new room or organization is checked in its own domain."""

    model = Device
    declaration = Devices.devices
    default_ordering = ("name",)

    def clean_input(self, fields: dict[str, Any]) -> dict[str, Any]:
        if "eui" in fields:
            fields["eui"] = normalize_eui(fields["eui"])
        return fields

    def validate_references(
        self, changes: dict[str, Any], *, current: Mapping[str, Any] | None
    ) -> None:
        # Asked only when a room or the organization changes, before the transaction opens:
        # three remote lookups at most, none for a rename.
        if not {"room", "organization", "monitored_room"} & changes.keys():
            return
        place = {**(current or {}), **changes}
        facilities = services.get("facilities", Facilities)
        if "room" in changes or "organization" in changes:
            try:
                organization = services.get("users", Users).organizations.get(place["organization"])
            except NotFound:
                raise ValidationFailed.for_field(
                    "organization", f"No organization with UUID {place['organization']}."
                ) from None
            _check_room(facilities, "room", place["room"], organization.uuid)
        monitored = place.get("monitored_room")
        if monitored is not None and {"monitored_room", "organization"} & changes.keys():
            _check_room(facilities, "monitored_room", monitored, place["organization"])


def _check_room(facilities: Facilities, field: str, uuid: UUID, organization: UUID) -> None:
    """ValidationFailed naming `field` unless room `uuid` exists and is `organization`'s."""
    try:
        room = facilities.rooms.get(uuid)
    except NotFound:
        raise ValidationFailed.for_field(field, f"No room with UUID {uuid}.") from None
    if room.organization != organization:
        raise ValidationFailed.for_field(
            field, f"Room {room.label!r} belongs to another organization."
        )


class ThresholdService(ModelService[Threshold, ThresholdDTO]):
    """Thresholds of rooms; a new threshold's room is checked in facilities."""

    model = Threshold
    declaration = Devices.thresholds
    default_ordering = ("reading",)

    def validate_references(
        self, changes: dict[str, Any], *, current: Mapping[str, Any] | None
    ) -> None:
        if "room" in changes:
            try:
                services.get("facilities", Facilities).rooms.get(changes["room"])
            except NotFound:
                raise ValidationFailed.for_field(
                    "room", f"No room with UUID {changes['room']}."
                ) from None


class DevicesDomain(Devices):
    """The devices domain, in this process."""

    # Served beside the derived API wherever this domain is local: live status and commands.
    api_urls = "devices.api.urls"

    def __init__(self) -> None:
        self.devices = self._devices = DeviceService()
        self.thresholds = ThresholdService()

    def devices_for_building(self, *, building_uuid: UUID) -> list[DeviceDTO]:
        # One call to facilities, one query here, however many rooms and devices.
        rooms = services.get("facilities", Facilities).rooms_of_building(
            building_uuid=building_uuid
        )
        if not rooms:
            return []
        return self._devices.find(filters={"room": [room.uuid for room in rooms]})

    # Live status and commands (MongoDB and MQTT, not the relational database).

    def status_of(self, uuid: UUID | str) -> DeviceStatus | None:
        """The last stored status of one device (None before its first report)."""
        return live.status_store().get(self.devices.get(uuid).eui)

    def statuses_of(self, devices: list[DeviceDTO]) -> dict[UUID, DeviceStatus]:
        """Statuses of several devices in one MongoDB query, by device UUID."""
        by_eui = live.status_store().get_many([device.eui for device in devices])
        return {d.uuid: by_eui[d.eui] for d in devices if d.eui in by_eui}

    def device_statuses(self, *, uuids: list[UUID]) -> list[DeviceStatusDTO]:
        if len(uuids) > STATUS_BATCH:
            raise ValidationFailed.for_field("uuids", f"At most {STATUS_BATCH} per call.")
        devices = list(self.devices.get_many(uuids).values())
        return [
            DeviceStatusDTO(
                uuid=uuid,
                online=status.online,
                last_seen=status.updated_at,
                reported_at=status.timestamp,
                fields=dict(status.fields),
            )
            for uuid, status in self.statuses_of(devices).items()
        ]

    def send_command(
        self,
        uuid: UUID | str,
        *,
        command: str,
        args: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> CommandSent:
        """Publish a command to one device (QoS 1); Unavailable when the broker does not confirm.

        A retry with the same `idempotency_key` returns the first result, published once.
        """
        return live.command_service().send(
            eui=self.devices.get(uuid).eui,
            command=command,
            args=args,
            idempotency_key=idempotency_key,
        )

    def send_command_many(
        self, uuids: list[UUID | str], *, command: str, args: dict[str, Any] | None = None
    ) -> tuple[list[CommandSent], dict[str, str]]:
        """Send one command to several devices: what was sent, and what failed (by EUI) why."""
        found = self.devices.get_many(parse_uuids(uuids))
        batch = live.command_service().send_many(
            euis=[device.eui for device in found.values()], command=command, args=args
        )
        return list(batch.sent), dict(batch.failed)
