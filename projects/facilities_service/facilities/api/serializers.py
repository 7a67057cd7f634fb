"""Input and output shapes of the facilities API."""

from rest_framework import serializers
from rest_framework_dataclasses.serializers import DataclassSerializer

from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.interfaces.facilities import BuildingDTO, FloorDTO, RoomDTO


class BuildingSerializer(DataclassSerializer):
    class Meta:
        dataclass = BuildingDTO


class BuildingCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    organization = StrictUUIDField()


LEVELS = (-20, 300)  # the lowest and highest floor a building can have


class FloorSerializer(DataclassSerializer):
    class Meta:
        dataclass = FloorDTO


class FloorCreateSerializer(serializers.Serializer):
    building = StrictUUIDField()
    level = serializers.IntegerField(min_value=LEVELS[0], max_value=LEVELS[1])
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class RoomSerializer(DataclassSerializer):
    class Meta:
        dataclass = RoomDTO


class RoomCreateSerializer(serializers.Serializer):
    floor = StrictUUIDField()
    name = serializers.CharField(max_length=100)
