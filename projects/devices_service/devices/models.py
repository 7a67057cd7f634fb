"""Devices: where they are (a room of facilities) and who owns them (an organization of users)."""

from django.core.validators import RegexValidator
from django.db import models

from domain_services import OnDelete, UUIDReference
from domain_services.models import DomainModel


class Device(DomainModel):
    class Kind(models.TextChoices):
        SENSOR = "sensor", "Sensor"
        METER = "meter", "Meter"
        ACTUATOR = "actuator", "Actuator"
        GATEWAY = "gateway", "Gateway"

    eui = models.CharField(
        "EUI",
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-F]{16}$", "16 upper-case hex digits.")],
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SENSOR)
    firmware = models.CharField(max_length=50, blank=True)
    room = UUIDReference("facilities.Room", on_delete=OnDelete.PROTECT)
    organization = UUIDReference("users.Organization", on_delete=OnDelete.PROTECT)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.eui})"
