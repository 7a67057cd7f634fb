"""The facilities API: thin views over the facilities domain service."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from domain_services import services
from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.integrations.rest.server.views import ResourceViewSet
from domain_services.uuids import parse_uuid

from . import serializers as s
from .serializers import LEVELS


class BuildingViewSet(ResourceViewSet):
    resource = staticmethod(lambda: services.facilities.buildings)
    output_serializer = s.BuildingSerializer
    create_serializer = s.BuildingCreateSerializer
    update_serializer = s.BuildingCreateSerializer
    filter_fields = {"organization": StrictUUIDField()}
    ordering_fields = ("name", "created_at")
    allow_delete = True


class FloorViewSet(ResourceViewSet):
    resource = staticmethod(lambda: services.facilities.floors)
    output_serializer = s.FloorSerializer
    create_serializer = s.FloorCreateSerializer
    update_serializer = s.FloorCreateSerializer
    filter_fields = {
        "building": StrictUUIDField(),
        "level": serializers.IntegerField(min_value=LEVELS[0], max_value=LEVELS[1]),
    }
    ordering_fields = ("level", "name")
    allow_delete = True


class RoomViewSet(ResourceViewSet):
    resource = staticmethod(lambda: services.facilities.rooms)
    output_serializer = s.RoomSerializer
    create_serializer = s.RoomCreateSerializer
    update_serializer = s.RoomCreateSerializer
    filter_fields = {"floor": StrictUUIDField(), "name": serializers.CharField()}
    ordering_fields = ("name",)
    allow_delete = True


@extend_schema(responses=s.RoomSerializer(many=True), summary="Rooms of a building")
@api_view(["GET"])
def building_rooms(request: Request, uuid: str) -> Response:
    building = parse_uuid(uuid)  # a malformed one is a 400 naming the path's `uuid`
    rooms = services.facilities.rooms_of_building(building_uuid=building)
    return Response(s.RoomSerializer(rooms, many=True).data)
