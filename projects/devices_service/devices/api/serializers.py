"""Input and output shapes of the devices API."""

from rest_framework import serializers
from rest_framework_dataclasses.serializers import DataclassSerializer

from devices.models import Device
from domain_services.devices.commands import COMMAND_NAME
from domain_services.interfaces.devices import DeviceDTO


class DeviceSerializer(DataclassSerializer):
    class Meta:
        dataclass = DeviceDTO


class DeviceCreateSerializer(serializers.Serializer):
    eui = serializers.CharField(max_length=23)  # 16 hex digits, or 8 separated pairs
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Device.Kind.choices, required=False)
    firmware = serializers.CharField(max_length=50, required=False, allow_blank=True)
    room = serializers.UUIDField()
    organization = serializers.UUIDField()


class DeviceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Device.Kind.choices)
    firmware = serializers.CharField(max_length=50, allow_blank=True)
    room = serializers.UUIDField()
    organization = serializers.UUIDField()


class CommandSerializer(serializers.Serializer):
    command = serializers.RegexField(rf"^{COMMAND_NAME.pattern}$", help_text="e.g. reboot, ping")
    args = serializers.DictField(required=False)


class CommandSentSerializer(serializers.Serializer):
    command_id = serializers.CharField()
    eui = serializers.CharField()
    command = serializers.CharField()
    args = serializers.DictField()
    topic = serializers.CharField()
    sent_at = serializers.DateTimeField()
