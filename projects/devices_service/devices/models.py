"""Devices: where they are (a room of facilities) and who owns them (an organization of users);
thresholds per room; and the devices domain's own copy of the rooms it shows (a read model).

The references into facilities use every policy: a device stands in its room (PROTECT: the room
cannot be deleted under it), may monitor another room (SET_NULL: it stays, monitoring nothing),
and a threshold means nothing without its room (CASCADE).
"""

from django.core.exceptions import ValidationError
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
    monitored_room = UUIDReference(
        "facilities.Room",
        on_delete=OnDelete.SET_NULL,
        null=True,
        help_text="The room it monitors when mounted elsewhere (a meter in a cabinet).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.eui})"


class Threshold(DomainModel):
    """The range a reading should stay in, in one room; deleted with its room."""

    room = UUIDReference("facilities.Room", on_delete=OnDelete.CASCADE)
    reading = models.CharField(
        max_length=64,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]{0,63}$", "Lower-case letters, digits, _.")],
    )
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["reading"]
        constraints = [
            models.UniqueConstraint(fields=["room", "reading"], name="threshold_room_reading")
        ]

    def __str__(self) -> str:
        return self.reading

    def clean(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValidationError({"maximum": "Must not be below the minimum."})


class RoomView(models.Model):
    """A facilities room as the devices domain shows it, kept from facilities' events.

    Not a reference but a copy: the devices list shows room labels from here, so it makes no
    call to facilities and keeps working while facilities is down. `version` is the sequence of
    the last event applied (0 when `rebuild_room_view` wrote the row), so an older event that
    arrives late changes nothing; `deleted` keeps a deleted room deleted.
    """

    room = models.UUIDField(unique=True)
    floor = models.UUIDField(null=True)
    building = models.UUIDField(null=True)
    organization = models.UUIDField(null=True)
    name = models.CharField(max_length=200)
    label = models.CharField(max_length=600)
    version = models.BigIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "room (copy from facilities)"
        verbose_name_plural = "rooms (copy from facilities)"

    def __str__(self) -> str:
        return self.label
