"""Buildings > floors > rooms. A building belongs to an organization of the users domain."""

from django.db import models

from domain_services import OnDelete, UUIDReference
from domain_services.models import DomainModel


class Building(DomainModel):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    organization = UUIDReference("users.Organization", on_delete=OnDelete.PROTECT)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Floor(DomainModel):
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="floors")
    level = models.IntegerField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["building", "level"]
        constraints = [
            models.UniqueConstraint(fields=["building", "level"], name="floor_level_unique")
        ]

    def __str__(self) -> str:
        return self.name or f"Level {self.level}"


class Room(DomainModel):
    floor = models.ForeignKey(Floor, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["floor", "name"]
        constraints = [models.UniqueConstraint(fields=["floor", "name"], name="room_name_unique")]

    def __str__(self) -> str:
        return self.name
