"""Shapes of the devices API that the interface declaration does not give: EUIs, commands."""

from rest_framework import serializers

from domain_services.devices.commands import COMMAND_NAME
from domain_services.devices.eui import EUI_PATTERN, normalize_eui


class EUIField(serializers.RegexField):
    """A device EUI as `normalize_eui` takes it (documented as its pattern), read canonical."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "16 hex digits, or 8 pairs separated by '-' or ':' (70-B3-D5-7E-D0-00-12-34).",
        )
        kwargs.setdefault(
            "error_messages",
            {"invalid": "Must be 16 hex digits, or 8 pairs separated by '-' or ':'."},
        )
        super().__init__(EUI_PATTERN, max_length=23, **kwargs)

    def to_internal_value(self, data):
        return normalize_eui(super().to_internal_value(data), field=self.field_name or "eui")


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
