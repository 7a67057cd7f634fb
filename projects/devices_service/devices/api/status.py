"""Live status in API answers: one MongoDB query per response, never one per device."""

from __future__ import annotations

from typing import Any

from devices import live
from domain_services import DomainError
from domain_services.devices.status_store import DeviceStatus
from domain_services.dto import dto_to_dict
from domain_services.integrations.rest.server.interface_views import dto_serializer

# The schema of a status is its DTO's, the same component the `device_statuses` query uses.
DeviceStatusSerializer = dto_serializer(DeviceStatus)


def with_statuses(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `status` to each rendered device; `status_error` says why when MongoDB is down."""
    try:
        found = live.status_store().get_many([device["eui"] for device in devices])
    except DomainError as exc:
        return [{**device, "status": None, "status_error": exc.message} for device in devices]
    return [{**device, "status": _render(found.get(device["eui"]))} for device in devices]


def _render(status: Any) -> dict[str, Any] | None:
    return None if status is None else dto_to_dict(status)
