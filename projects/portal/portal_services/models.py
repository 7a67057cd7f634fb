"""The portal's models on the domains: the same names, fields and relations as
`portal_legacy.models`, each one a service-backed model of a resource of the users,
facilities or devices interface. Nothing else in the portal changes.

Live status is the devices domain's: one `device_statuses` call per page of devices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from portal.model_methods import (
    DEVICE_KINDS,
    BuildingMethods,
    DeviceMethods,
    FloorMethods,
    OrganizationMethods,
    RoomMethods,
)

from domain_services import services
from domain_services.backed import ServiceModel, batched_property
from org_interfaces.devices import Devices, DeviceStatusDTO
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users

# UUIDs per device_statuses call: a query travels in the URL, which servers limit (gunicorn
# reads request lines up to 4094 bytes), and a page of devices is 50.
STATUS_BATCH = 50


class Organization(OrganizationMethods, ServiceModel, resource=Users.organizations):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]


class Building(BuildingMethods, ServiceModel, resource=Facilities.buildings):
    organization = models.ForeignKey(Organization, models.DO_NOTHING, related_name="buildings")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]


class Floor(FloorMethods, ServiceModel, resource=Facilities.floors):
    building = models.ForeignKey(Building, models.DO_NOTHING, related_name="floors")
    level = models.IntegerField(validators=[MinValueValidator(-20), MaxValueValidator(300)])
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(fields=["building", "level"], name="service_floor_level")
        ]


class Room(RoomMethods, ServiceModel, resource=Facilities.rooms):
    floor = models.ForeignKey(Floor, models.DO_NOTHING, related_name="rooms")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["floor", "name"], name="service_room_name")]


class Device(DeviceMethods, ServiceModel, resource=Devices.devices):
    eui = models.CharField(
        "EUI",
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-F]{16}$", "16 upper-case hex digits.")],
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=DEVICE_KINDS, default="sensor")
    firmware = models.CharField(max_length=50, blank=True)
    organization = models.ForeignKey(Organization, models.DO_NOTHING, related_name="devices")
    room = models.ForeignKey(Room, models.DO_NOTHING, related_name="devices")

    class Meta:
        ordering = ["name"]

    @batched_property
    def status(devices: list[Any]) -> dict[Any, DeviceStatusDTO]:
        """The live status of every device of the page, from the devices domain."""
        domain = services.get("devices", Devices)
        found: dict[Any, DeviceStatusDTO] = {}
        for start in range(0, len(devices), STATUS_BATCH):
            chunk = [device.pk for device in devices[start : start + STATUS_BATCH]]
            found |= {status.uuid: status for status in domain.device_statuses(uuids=chunk)}
        return found

    @property
    def last_seen(self) -> datetime | None:
        return self.status.last_seen if self.status else None

    @property
    def battery(self) -> Any:
        return self.status.fields.get("battery") if self.status else None

    @property
    def online(self) -> bool:
        return bool(self.status and self.status.online)
