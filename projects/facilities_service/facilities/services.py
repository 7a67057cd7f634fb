"""The facilities domain, implemented on this project's database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat
from django.db.models.query import QuerySet

from domain_services import ModelService, NotFound, ValidationFailed, events, services
from domain_services.dto import dto_to_dict
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


def rooms_changed_too(
    found: Sequence[events.ObjectEvent], *, lookup: str, affects: Mapping[str, set[str]]
) -> list[events.ObjectEvent]:
    """`found`, and an update of every room whose DTO an update in `found` changed as well.

    A room's label carries its floor's and building's names, and its organization is its
    building's: renaming a floor changes the rooms on it. Announced here, in the same
    transaction, other domains' copies of rooms need nothing but room events. `affects` maps
    a changed field of the parent to the room fields it changes.
    """
    extra: list[events.ObjectEvent] = []
    rooms = RoomService()
    target = f"{rooms.domain}.{Room.__name__}"
    for event in found:
        changed = sorted({f for name in event.changed for f in affects.get(name, ())})
        if isinstance(event, events.ObjectUpdated) and changed:
            queryset = rooms.get_queryset().filter(**{lookup: event.uuid}).order_by("pk")
            extra += [
                events.ObjectUpdated(
                    target, room.uuid, changed=tuple(changed), data=dto_to_dict(room)
                )
                for room in rooms.dtos(queryset)
            ]
    return [*found, *extra]


class BuildingService(ModelService[Building, BuildingDTO]):
    model = Building
    declaration = Facilities.buildings
    default_ordering = ("name",)

    def change_events(self, found: Sequence[events.ObjectEvent]) -> list[events.ObjectEvent]:
        return rooms_changed_too(
            found,
            lookup="floor__building__uuid",
            affects={"name": {"label"}, "organization": {"organization"}},
        )

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

    def change_events(self, found: Sequence[events.ObjectEvent]) -> list[events.ObjectEvent]:
        return rooms_changed_too(
            found,
            lookup="floor__uuid",
            affects={
                "name": {"label"},
                "level": {"label"},
                "building": {"building", "label", "organization"},
            },
        )

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
