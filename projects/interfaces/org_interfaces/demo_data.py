"""The demo data set, shared by the three projects' `seed_demo` commands.

Every object has a UUID derived from its name, so each project seeds its own part on its own
database and the references between them line up without any project calling another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

NAMESPACE = uuid.UUID("6f1c2a52-4d1e-4b8a-9a53-5d0f0c1e7d10")
STAFF_USERNAME = "admin"
STAFF_PASSWORD = "demo-password"

ORGANIZATIONS = [("Acme Buildings", "acme"), ("Globex Facilities", "globex")]
BUILDINGS_PER_ORG = 2
FLOORS_PER_BUILDING = 3
ROOMS_PER_FLOOR = 4
DEVICES_PER_ORG = 18
DEVICE_KINDS = ("sensor", "meter", "actuator", "gateway")


def demo_uuid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


@dataclass(frozen=True)
class Row:
    uuid: uuid.UUID
    fields: dict[str, Any]


def organizations() -> Iterator[Row]:
    for name, slug in ORGANIZATIONS:
        yield Row(demo_uuid("org", slug), {"name": name, "slug": slug})


def people() -> Iterator[Row]:
    for _, slug in ORGANIZATIONS:
        for n, role in enumerate(("admin", "member", "member"), start=1):
            username = f"{slug}-{n}"
            yield Row(
                demo_uuid("person", username),
                {
                    "username": username,
                    "email": f"{username}@example.com",
                    "full_name": f"{slug.title()} Person {n}",
                    "role": role,
                    "organization": demo_uuid("org", slug),
                },
            )


def buildings() -> Iterator[Row]:
    for name, slug in ORGANIZATIONS:
        for b in range(1, BUILDINGS_PER_ORG + 1):
            yield Row(
                demo_uuid("building", slug, b),
                {
                    "name": f"{name.split()[0]} Building {b}",
                    "address": f"{b} {slug.title()} Street",
                    "organization": demo_uuid("org", slug),
                },
            )


def floors() -> Iterator[Row]:
    for _, slug in ORGANIZATIONS:
        for b in range(1, BUILDINGS_PER_ORG + 1):
            for level in range(FLOORS_PER_BUILDING):
                yield Row(
                    demo_uuid("floor", slug, b, level),
                    {
                        "building": demo_uuid("building", slug, b),
                        "level": level,
                        "name": "Ground floor" if level == 0 else f"Floor {level}",
                    },
                )


def rooms() -> Iterator[Row]:
    for _, slug in ORGANIZATIONS:
        for b in range(1, BUILDINGS_PER_ORG + 1):
            for level in range(FLOORS_PER_BUILDING):
                for r in range(1, ROOMS_PER_FLOOR + 1):
                    yield Row(
                        demo_uuid("room", slug, b, level, r),
                        {"floor": demo_uuid("floor", slug, b, level), "name": f"{level}{r:02d}"},
                    )


def devices() -> Iterator[Row]:
    for o, (_, slug) in enumerate(ORGANIZATIONS):
        org_rooms = [row.uuid for row in rooms() if row.fields["floor"] in _floor_uuids(slug)]
        for n in range(DEVICES_PER_ORG):
            eui = f"70B3D57ED0{o:02X}{n:04X}"
            yield Row(
                demo_uuid("device", eui),
                {
                    "eui": eui,
                    "name": f"{slug.title()} {DEVICE_KINDS[n % 4]} {n + 1}",
                    "kind": DEVICE_KINDS[n % 4],
                    "firmware": f"1.{n % 3}.0",
                    "room": org_rooms[n % len(org_rooms)],
                    "organization": demo_uuid("org", slug),
                },
            )


def device_euis() -> list[str]:
    return [row.fields["eui"] for row in devices()]


def _floor_uuids(slug: str) -> set[uuid.UUID]:
    return {
        demo_uuid("floor", slug, b, level)
        for b in range(1, BUILDINGS_PER_ORG + 1)
        for level in range(FLOORS_PER_BUILDING)
    }


def ensure_staff_user() -> tuple[str, str]:
    """Create (or reset) the demo's staff superuser; returns its credentials."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user, _ = user_model._default_manager.get_or_create(username=STAFF_USERNAME)
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(STAFF_PASSWORD)
    user.save()
    return STAFF_USERNAME, STAFF_PASSWORD


def upsert(model: Any, rows: Iterator[Row], **resolve: Any) -> int:
    """Store rows by UUID (idempotent); `resolve` maps FK field names to their model."""
    count = 0
    for row in rows:
        fields = dict(row.fields)
        for name, related in resolve.items():
            fields[name] = related._default_manager.get(uuid=fields[name])
        model._default_manager.update_or_create(uuid=row.uuid, defaults=fields)
        count += 1
    return count
