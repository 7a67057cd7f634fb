"""The facilities domain, implemented on this project's database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat
from django.db.models.query import QuerySet

from domain_services import ModelService, NotFound, ValidationFailed, services
from org_interfaces.facilities import BuildingDTO, Facilities, FloorDTO, RoomDTO
from org_interfaces.users import Users

from .models import Building, Floor, Room

SEPARATOR = Value(" / ")


def floor_name(prefix: str = "") -> Case:
    """A floor's name, or "Level <n>" when it has none (what `Floor.__str__` shows)."""
    return Case(
        When(
            **{f"{prefix}name": ""},
            then=Concat(Value("Level "), Cast(f"{prefix}level", CharField())),
        ),
        default=F(f"{prefix}name"),
        output_field=CharField(),
    )


class BuildingService(ModelService[Building, BuildingDTO]):
    model = Building
    declaration = Facilities.buildings
    default_ordering = ("name",)

    def validate_references(
        self, changes: dict[str, Any], *, current: Mapping[str, Any] | None
    ) -> None:
        # The organization lives in the users domain: asked only when it changes, and before
        # the write transaction opens (no row lock is held during the call).
        if "organization" in changes:
            try:
                services.get("users", Users).organizations.get(changes["organization"])
            except NotFound:
                raise ValidationFailed.for_field(
                    "organization", f"No organization with UUID {changes['organization']}."
                ) from None


class FloorService(ModelService[Floor, FloorDTO]):
    model = Floor
    declaration = Facilities.floors
    default_ordering = ("building", "level")
    dto_sources = {"label": "label"}

    def get_queryset(self) -> QuerySet[Floor]:
        return (
            super()
            .get_queryset()
            .annotate(
                label=Concat("building__name", SEPARATOR, floor_name(), output_field=CharField())
            )
        )


class RoomService(ModelService[Room, RoomDTO]):
    model = Room
    declaration = Facilities.rooms
    dto_sources = {
        "floor": "floor__uuid",
        "building": "floor__building__uuid",
        "organization": "floor__building__organization",
        "label": "label",
    }
    default_ordering = ("floor__level", "name")

    def get_queryset(self) -> QuerySet[Room]:
        return (
            super()
            .get_queryset()
            .annotate(
                label=Concat(
                    "floor__building__name",
                    SEPARATOR,
                    floor_name("floor__"),
                    SEPARATOR,
                    "name",
                    output_field=CharField(),
                )
            )
        )


class FacilitiesDomain(Facilities):
    """The facilities domain, in this process."""

    def __init__(self) -> None:
        self.buildings = BuildingService()
        self.floors = FloorService()
        self.rooms = self._rooms = RoomService()

    def rooms_of_building(self, *, building_uuid: UUID) -> list[RoomDTO]:
        building = self.buildings.get(building_uuid)
        queryset = self._rooms.get_queryset().filter(floor__building__uuid=building.uuid)
        return self._rooms.dtos(queryset.order_by("floor__level", "name"))
