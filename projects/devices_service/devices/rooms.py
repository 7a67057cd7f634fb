"""The devices domain's read model of facilities rooms: labels without a call to facilities.

Kept current by facilities' events (`room_changed`, `room_deleted`: subscribed in `apps.py`, run
by `manage.py consume_events` when facilities is another service, at commit when it runs in
this process), and backfilled by `rebuild()` (`manage.py rebuild_room_view`), which pages through
the facilities interface. The admin and the API read it through `room_view()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.db import router, transaction
from django.db.models import QuerySet

from domain_services import ValidationFailed, parse_uuids, services
from domain_services.dto import dto_from_dict
from domain_services.events import ObjectDeleted, ObjectEvent
from org_interfaces.facilities import Facilities, RoomDTO

from .models import RoomView

logger = logging.getLogger(__name__)

ROOM = "facilities.Room"
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class RoomLabel:
    """What the devices domain shows about a room."""

    uuid: UUID
    label: str  # "HQ / Floor 2 / 203"
    name: str
    organization: UUID | None


class RoomLabels:
    """Room labels by room UUID, from the read model: `get_many(uuids)`, like a resource."""

    def get_many(self, uuids: Iterable[UUID | str]) -> dict[UUID, RoomLabel]:
        """The rooms with these UUIDs that the read model knows and that exist, in one query."""
        keys = parse_uuids(uuids)
        if not keys:
            return {}
        rows = _rows().filter(room__in=keys, deleted=False)
        return {
            room: RoomLabel(room, label, name, organization)
            for room, label, name, organization in rows.values_list(
                "room", "label", "name", "organization"
            )
        }


def room_view() -> RoomLabels:
    """The read model, for the admin's reference columns and the API."""
    return RoomLabels()


def _alias() -> str:
    return router.db_for_write(RoomView) or "default"


def _rows() -> QuerySet[RoomView]:
    return RoomView.objects.using(_alias())


def _room(event: ObjectEvent) -> RoomDTO:
    if event.data is None:
        raise ValidationFailed.for_field("data", f"{ROOM} {event.action} without its data.")
    room = dto_from_dict(RoomDTO, event.data)
    for name, limit in (("name", 200), ("label", 600)):
        value = getattr(room, name)
        if not isinstance(value, str) or len(value) > limit:
            raise ValidationFailed.for_field(name, f"Must be text of at most {limit} characters.")
    if room.uuid != event.uuid:
        raise ValidationFailed.for_field("uuid", "The data is of another room.")
    return room


def room_changed(event: ObjectEvent) -> None:
    """A room was created or updated: store what devices show of it, unless newer is stored."""
    room = _room(event)
    with transaction.atomic(using=_alias()):
        row = _rows().select_for_update().filter(room=event.uuid).first()
        if row is not None and (row.deleted or _stale(row, event)):
            return
        row = row or RoomView(room=event.uuid)
        row.floor, row.building, row.organization = room.floor, room.building, room.organization
        row.name, row.label = room.name, room.label
        row.version = max(row.version, event.sequence or 0)
        row.save(using=_alias())


def room_deleted(event: ObjectDeleted) -> None:
    """A room was deleted: it is shown no more, whatever arrives about it later."""
    with transaction.atomic(using=_alias()):
        row = _rows().select_for_update().filter(room=event.uuid).first()
        if row is None:
            row = RoomView(room=event.uuid, name="", label="")
        row.deleted = True
        row.version = max(row.version, event.sequence or 0)
        row.save(using=_alias())


def _stale(row: RoomView, event: ObjectEvent) -> bool:
    # Events of one room can arrive out of order (several relays, a shared subscription): the
    # outbox sequence says which is newer. Without one (no outbox), the arrival order decides.
    return event.sequence is not None and event.sequence <= row.version


def rebuild(*, page_size: int = PAGE_SIZE) -> tuple[int, int]:
    """Copy every room from the facilities interface, a page at a time; rows for rooms that
    are gone are marked deleted. Returns (rooms copied, rooms marked deleted).

    Rows events wrote while the rebuild ran are kept as the events left them.
    """
    facilities = services.get("facilities", Facilities)
    started = datetime.now(UTC)
    seen: set[UUID] = set()
    page = 1
    while True:
        found = facilities.rooms.list(page=page, page_size=page_size)
        with transaction.atomic(using=_alias()):
            uuids = [room.uuid for room in found.items]
            existing = {row.room: row for row in _rows().select_for_update().filter(room__in=uuids)}
            for room in found.items:
                seen.add(room.uuid)
                row = existing.get(room.uuid) or RoomView(room=room.uuid)
                if row.deleted or (row.pk and row.updated_at >= started):
                    continue
                row.floor, row.building, row.organization = (
                    room.floor,
                    room.building,
                    room.organization,
                )
                row.name, row.label = room.name, room.label
                row.save(using=_alias())
        if page * page_size >= found.total or not found.items:
            break
        page += 1
    gone = (
        _rows()
        .filter(deleted=False, updated_at__lt=started)
        .exclude(room__in=seen)
        .update(deleted=True)
    )
    logger.info("Room view rebuilt: %d rooms, %d marked deleted.", len(seen), gone)
    return len(seen), gone
