"""The devices domain, implemented on this project's database."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain_services import ModelService, NotFound, ValidationFailed, parse_uuids, services
from domain_services.devices.commands import CommandSent
from domain_services.devices.eui import normalize_eui
from domain_services.devices.status_store import DeviceStatus
from domain_services.interfaces.devices import DeviceDTO

from . import live
from .models import Device


class DeviceService(ModelService[Device, DeviceDTO]):
    """Devices; a room and organization are checked in their own domains on every write."""

    domain = "devices"
    model = Device
    dto = DeviceDTO
    filter_fields = ("room", "organization", "kind", "eui")
    ordering_fields = ("name", "eui", "kind", "created_at")
    default_ordering = ("name",)

    def clean_input(self, fields: dict[str, Any]) -> dict[str, Any]:
        if "eui" in fields:
            fields["eui"] = normalize_eui(fields["eui"])
        return fields

    def validate(self, obj: Device, *, created: bool) -> None:
        # Two remote lookups at most, whatever else the device carries.
        try:
            organization = services.users.organizations.get(obj.organization)
        except NotFound:
            raise ValidationFailed.for_field(
                "organization", f"No organization with UUID {obj.organization}."
            ) from None
        try:
            room = services.facilities.rooms.get(obj.room)
        except NotFound:
            raise ValidationFailed.for_field("room", f"No room with UUID {obj.room}.") from None
        if room.organization != organization.uuid:
            raise ValidationFailed.for_field(
                "room", f"Room {room.name!r} belongs to another organization."
            )


class DevicesDomain:
    """The devices domain's public interface (`interfaces.devices.DevicesService`)."""

    def __init__(self) -> None:
        self.devices = DeviceService()

    def devices_for_building(self, *, building_uuid: UUID | str) -> list[DeviceDTO]:
        # One call to facilities, one query here, however many rooms and devices.
        rooms = services.facilities.rooms_of_building(building_uuid=building_uuid)
        if not rooms:
            return []
        return self.devices.find(filters={"room": [room.uuid for room in rooms]})

    def register_device(self, **fields: Any) -> DeviceDTO:
        return self.devices.create(**fields)

    def update_device(self, uuid: UUID | str, **fields: Any) -> DeviceDTO:
        return self.devices.update(uuid, **fields)

    def decommission_device(self, uuid: UUID | str) -> None:
        self.devices.delete(uuid)

    # Live status and commands (MongoDB and MQTT, not the relational database).

    def status_of(self, uuid: UUID | str) -> DeviceStatus | None:
        """The last stored status of one device (None before its first report)."""
        return live.status_store().get(self.devices.get(uuid).eui)

    def statuses_of(self, devices: list[DeviceDTO]) -> dict[UUID, DeviceStatus]:
        """Statuses of several devices in one MongoDB query, by device UUID."""
        by_eui = live.status_store().get_many([device.eui for device in devices])
        return {d.uuid: by_eui[d.eui] for d in devices if d.eui in by_eui}

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
