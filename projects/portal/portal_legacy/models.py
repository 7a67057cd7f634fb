"""The portal's models as the webapp had them: one database, ForeignKeys between them.

Every object has a UUID its URLs use, and every ForeignKey holds the UUID of its target
(`to_field="uuid"`), as forms show references by UUID.

Live status came from an ingestion job that wrote each device's last report onto its row
(`last_seen`, `battery`); a device is online when it reported within `ONLINE_WINDOW`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from portal.model_methods import (
    DEVICE_KINDS,
    BuildingMethods,
    DeviceMethods,
    FloorMethods,
    OrganizationMethods,
    RoomMethods,
)

ONLINE_WINDOW = timedelta(minutes=5)


class Organization(OrganizationMethods, models.Model):  # noqa: DJ008 - its __str__ is OrganizationMethods's
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]


class Building(BuildingMethods, models.Model):  # noqa: DJ008 - its __str__ is BuildingMethods's
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="buildings", to_field="uuid"
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]


class Floor(FloorMethods, models.Model):  # noqa: DJ008 - its __str__ is FloorMethods's
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    building = models.ForeignKey(Building, models.CASCADE, related_name="floors", to_field="uuid")
    level = models.IntegerField(validators=[MinValueValidator(-20), MaxValueValidator(300)])
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(fields=["building", "level"], name="legacy_floor_level")
        ]


class Room(RoomMethods, models.Model):  # noqa: DJ008 - its __str__ is RoomMethods's
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    floor = models.ForeignKey(Floor, models.CASCADE, related_name="rooms", to_field="uuid")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["floor", "name"], name="legacy_room_name")]


class Device(DeviceMethods, models.Model):  # noqa: DJ008 - its __str__ is DeviceMethods's
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    eui = models.CharField(
        "EUI",
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-F]{16}$", "16 upper-case hex digits.")],
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=DEVICE_KINDS, default="sensor")
    firmware = models.CharField(max_length=50, blank=True)
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="devices", to_field="uuid"
    )
    room = models.ForeignKey(Room, models.PROTECT, related_name="devices", to_field="uuid")
    # Written by the status ingestion job.
    last_seen = models.DateTimeField(null=True, blank=True, editable=False)
    battery = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    @property
    def online(self) -> bool:
        return self.last_seen is not None and timezone.now() - self.last_seen < ONLINE_WINDOW

    def clean(self) -> None:
        # A device sits in a room of its own organization.
        if self.room_id is None or self.organization_id is None:
            return
        if self.room.floor.building.organization_id != self.organization_id:
            raise ValidationError(
                {"room": f"Room {self.room.label!r} belongs to another organization."}
            )
