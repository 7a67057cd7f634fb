"""Staff admin of the facilities domain; writes go through the domain service."""

from django.contrib import admin

from domain_services import services
from domain_services.admin import ReferenceColumn, ReferenceColumnsMixin, ServiceModelAdmin

from .models import Building, Floor, Room


@admin.register(Building)
class BuildingAdmin(ReferenceColumnsMixin, ServiceModelAdmin):
    service = staticmethod(lambda: services.facilities.buildings)
    reference_columns = [ReferenceColumn("organization")]
    list_display = ("name", "address", "organization_name", "uuid")
    search_fields = ("name", "address", "uuid")
    list_filter = ("created_at",)
    readonly_fields = ("uuid", "created_at", "updated_at")


@admin.register(Floor)
class FloorAdmin(ServiceModelAdmin):
    service = staticmethod(lambda: services.facilities.floors)
    list_display = ("__str__", "building", "level", "uuid")
    list_filter = ("building",)
    list_select_related = ("building",)
    search_fields = ("name", "building__name", "uuid")
    readonly_fields = ("uuid", "created_at", "updated_at")


@admin.register(Room)
class RoomAdmin(ServiceModelAdmin):
    service = staticmethod(lambda: services.facilities.rooms)
    list_display = ("name", "floor", "building", "uuid")
    list_filter = ("floor__building",)
    list_select_related = ("floor__building",)
    search_fields = ("name", "floor__building__name", "uuid")
    readonly_fields = ("uuid", "created_at", "updated_at")

    @admin.display(ordering="floor__building__name")
    def building(self, room: Room) -> str:
        return room.floor.building.name
