"""Live status in API answers: one MongoDB query per response, never one per device."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from devices import live
from domain_services import DomainError
from domain_services.dto import dto_to_dict


class DeviceStatusSerializer(serializers.Serializer):
    """The last report of a device, as stored (`fields` holds battery, signal, readings...)."""

    eui = serializers.CharField()
    timestamp = serializers.DateTimeField(allow_null=True, help_text="The device's own time.")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="When it was stored.")
    online = serializers.BooleanField()
    # DRF's metaclass moves declared fields out of the class, so this shadows nothing.
    fields = serializers.DictField()  # type: ignore[assignment]


def with_statuses(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `status` to each rendered device; `status_error` says why when MongoDB is down."""
    try:
        found = live.status_store().get_many([device["eui"] for device in devices])
    except DomainError as exc:
        return [{**device, "status": None, "status_error": exc.message} for device in devices]
    return [{**device, "status": _render(found.get(device["eui"]))} for device in devices]


def _render(status: Any) -> dict[str, Any] | None:
    return None if status is None else dto_to_dict(status)
