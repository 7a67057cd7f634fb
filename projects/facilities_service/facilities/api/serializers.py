"""Input and output shapes of the facilities API."""

from rest_framework import serializers
from rest_framework_dataclasses.serializers import DataclassSerializer

from domain_services.interfaces.facilities import BuildingDTO, FloorDTO, RoomDTO


class BuildingSerializer(DataclassSerializer):
    class Meta:
        dataclass = BuildingDTO


class BuildingCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    organization = serializers.UUIDField()


class FloorSerializer(DataclassSerializer):
    class Meta:
        dataclass = FloorDTO


class FloorCreateSerializer(serializers.Serializer):
    building = serializers.UUIDField()
    level = serializers.IntegerField(min_value=-20, max_value=300)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class RoomSerializer(DataclassSerializer):
    class Meta:
        dataclass = RoomDTO


class RoomCreateSerializer(serializers.Serializer):
    floor = serializers.UUIDField()
    name = serializers.CharField(max_length=100)
