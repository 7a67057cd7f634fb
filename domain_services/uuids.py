"""Turning outside input into UUIDs, with a validation error instead of a crash."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from uuid import UUID

from domain_services.errors import ValidationFailed


def parse_uuid(value: object, *, field: str = "uuid") -> UUID:
    """`value` as a UUID; anything that is not one is a ValidationFailed naming `field`."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValidationFailed.for_field(field, f"{value!r} is not a valid UUID.")


def parse_uuids(values: Iterable[object], *, field: str = "uuids") -> list[UUID]:
    """Each value as a UUID, duplicates dropped, order kept."""
    if isinstance(values, str | bytes):
        raise ValidationFailed.for_field(field, "Expected a list of UUIDs, not a string.")
    seen: dict[UUID, None] = {}
    for value in values:
        seen[parse_uuid(value, field=field)] = None
    return list(seen)
