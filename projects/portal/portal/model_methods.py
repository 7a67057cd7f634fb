"""What the portal's models do beyond their fields: URLs, labels and the device kinds.

Both model modules (`portal_legacy`, `portal_services`) mix these in, so templates meet the
same objects in either mode.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

DEVICE_KINDS = [
    ("sensor", "Sensor"),
    ("meter", "Meter"),
    ("actuator", "Actuator"),
    ("gateway", "Gateway"),
]


class OrganizationMethods:
    name: str
    uuid: Any

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:organization-detail", args=[self.uuid])


class BuildingMethods:
    name: str
    uuid: Any

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:building-detail", args=[self.uuid])


class FloorMethods:
    name: str
    level: int
    building: Any

    def __str__(self) -> str:
        return self.name or f"Level {self.level}"

    def get_absolute_url(self) -> str:
        return str(self.building.get_absolute_url())


class RoomMethods:
    name: str
    uuid: Any
    floor: Any

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:room-detail", args=[self.uuid])

    @property
    def label(self) -> str:
        """How staff see a room: "HQ / Floor 2 / 203"."""
        return f"{self.floor.building.name} / {self.floor} / {self.name}"


class DeviceMethods:
    name: str
    eui: str
    uuid: Any

    def __str__(self) -> str:
        return f"{self.name} ({self.eui})"

    def get_absolute_url(self) -> str:
        return reverse("portal:device-detail", args=[self.uuid])
