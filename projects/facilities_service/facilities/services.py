"""The facilities domain, implemented on this project's database."""

from __future__ import annotations

from uuid import UUID

from domain_services import ModelService, NotFound, ValidationFailed, services
from domain_services.interfaces.facilities import BuildingDTO, FloorDTO, RoomDTO

from .models import Building, Floor, Room


class BuildingService(ModelService[Building, BuildingDTO]):
    domain = "facilities"
    model = Building
    dto = BuildingDTO
    filter_fields = ("organization",)
    ordering_fields = ("name", "created_at")
    default_ordering = ("name",)

    def validate(self, obj: Building, *, created: bool) -> None:
        # The organization lives in the users domain: ask it, locally or over REST.
        try:
            services.users.organizations.get(obj.organization)
        except NotFound:
            raise ValidationFailed.for_field(
                "organization", f"No organization with UUID {obj.organization}."
            ) from None


class FloorService(ModelService[Floor, FloorDTO]):
    domain = "facilities"
    model = Floor
    dto = FloorDTO
    filter_fields = ("building", "level")
    ordering_fields = ("level", "name")
    default_ordering = ("building", "level")


class RoomService(ModelService[Room, RoomDTO]):
    domain = "facilities"
    model = Room
    dto = RoomDTO
    dto_sources = {
        "floor": "floor__uuid",
        "building": "floor__building__uuid",
        "organization": "floor__building__organization",
    }
    filter_fields = ("floor", "name")
    ordering_fields = ("name",)
    default_ordering = ("floor__level", "name")


class FacilitiesDomain:
    """The facilities domain's public interface (`interfaces.facilities.FacilitiesService`)."""

    def __init__(self) -> None:
        self.buildings = BuildingService()
        self.floors = FloorService()
        self.rooms = RoomService()

    def rooms_of_building(self, *, building_uuid: UUID | str) -> list[RoomDTO]:
        building = self.buildings.get(building_uuid)
        queryset = self.rooms.get_queryset().filter(floor__building__uuid=building.uuid)
        return self.rooms.dtos(queryset.order_by("floor__level", "name"))
