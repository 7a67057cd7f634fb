"""Room labels in API answers, from the devices domain's read model: one query per response."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from devices.rooms import room_view


def with_room_labels(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `room_label` and `monitored_room_label` to each rendered device (null: unknown)."""
    wanted = {d[key] for d in devices for key in ("room", "monitored_room") if d.get(key)}
    labels = room_view().get_many(wanted)

    def label(uuid: Any) -> str | None:
        found = labels.get(uuid) if uuid else None
        return found.label if found else None

    return [
        {
            **device,
            "room_label": label(_uuid(device.get("room"))),
            "monitored_room_label": label(_uuid(device.get("monitored_room"))),
        }
        for device in devices
    ]


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))
