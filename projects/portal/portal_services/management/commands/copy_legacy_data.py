"""`manage.py copy_legacy_data [--dry-run] [--database ALIAS]`: the move itself.

Copies the portal's legacy database (organizations, buildings, floors, rooms, devices) into the
users, facilities and devices domains, through their interfaces, wherever `DOMAIN_SERVICES`
serves them (in this process or over REST): each object is created by its domain's service,
which checks it as it checks any other.

- Idempotent: an object its domain already has is skipped, found by its natural key (an
  organization's slug, a building's name in its organization, a floor's level in its
  building, a room's name on its floor, a device's EUI); what refers to it then refers to the
  domain's object. Run it again after a failure, or to copy what was added since.
- What a domain refuses (one of its rules: a device in a room of another organization) is
  reported with the domain's reason, and what depends on it is refused too; the command then
  exits with status 1.
- `--dry-run` reports what it would create, skip or refuse, and writes nothing.

The legacy database is only read: until the portal is switched to `PORTAL_MODELS=services`,
going back is switching nothing. The domains choose the UUIDs of what they create, and live
status (`last_seen`, `battery`) is not copied: the devices domain learns it from the devices'
next reports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser
from portal_legacy import models as legacy

from domain_services import Conflict, DomainError, Unavailable, ValidationFailed, services
from domain_services.interfaces import ResourceSpec
from org_interfaces.devices import Devices
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users

# Values per filtered list call: a query string travels in the URL, which servers limit.
LOOKUP_CHUNK = 50

REFUSED = "refused"


class Command(BaseCommand):
    help = "Copy the legacy database into the users, facilities and devices domains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be done; write nothing"
        )
        parser.add_argument(
            "--database", default="default", help="the legacy database alias (default: default)"
        )

    def handle(self, *args: Any, dry_run: bool, database: str, **options: Any) -> None:
        copy = Copy(self, dry_run=dry_run, database=database)
        try:
            copy.run()
        except Unavailable as exc:
            raise CommandError(
                f"Stopped: {exc.message} Run the command again once it answers: what was "
                "copied is skipped."
            ) from exc
        self.stdout.write(copy.summary())
        if copy.counts[REFUSED]:
            raise CommandError(f"{copy.counts[REFUSED]} objects refused; see above.")


class Copy:
    """One run: legacy rows in, domain objects out, a line reported for each."""

    def __init__(self, command: BaseCommand, *, dry_run: bool, database: str) -> None:
        self.command = command
        self.dry_run = dry_run
        self.database = database
        self.counts: Counter[str] = Counter()
        self.by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        # legacy UUID -> the domain's UUID; None: would be created (dry run); REFUSED.
        self.moved: dict[UUID, UUID | str | None] = {}
        self.users = services.get("users", Users)
        self.facilities = services.get("facilities", Facilities)
        self.devices = services.get("devices", Devices)

    def rows(self, model: Any) -> Any:
        return model.objects.using(self.database)

    def run(self) -> None:
        self.organizations()
        self.buildings()
        self.floors()
        self.rooms()
        self.devices_()

    # -- one kind at a time, parents first ------------------------------------------------------

    def organizations(self) -> None:
        rows = list(self.rows(legacy.Organization).order_by("name"))
        existing = {
            o.slug: o for o in self.find(Users.organizations, "slug", [r.slug for r in rows])
        }
        for row in rows:
            self.copy(
                "organization",
                row,
                key=row.slug,
                existing=existing.get(row.slug),
                create=lambda row=row: self.users.organizations.create(
                    name=row.name, slug=row.slug
                ),
            )

    def buildings(self) -> None:
        rows = list(self.rows(legacy.Building).order_by("organization__name", "name", "id"))
        parents = self.parents(rows, "organization_id")
        found: dict[tuple[Any, str], list[Any]] = defaultdict(list)
        for building in self.find(Facilities.buildings, "organization", parents):
            found[(building.organization, building.name)].append(building)
        seen: Counter[tuple[Any, str]] = Counter()
        for row in rows:
            organization = self.moved[row.organization_id]
            key = (organization, row.name)
            seen[key] += 1
            ambiguous = seen[key] > 1 or len(found[key]) > 1
            self.copy(
                "building",
                row,
                key=row.name,
                parent=organization,
                existing=found[key][0] if found[key] else None,
                refuse=f"another building of its organization is named {row.name!r}"
                if ambiguous
                else None,
                create=lambda row=row, organization=organization: self.facilities.buildings.create(
                    name=row.name, address=row.address, organization=organization
                ),
            )

    def floors(self) -> None:
        rows = list(self.rows(legacy.Floor).order_by("building__name", "level"))
        parents = self.parents(rows, "building_id")
        found = {
            (f.building, f.level): f for f in self.find(Facilities.floors, "building", parents)
        }
        for row in rows:
            building = self.moved[row.building_id]
            self.copy(
                "floor",
                row,
                key=f"level {row.level} of {row.building.name}",
                parent=building,
                existing=found.get((building, row.level)),
                create=lambda row=row, building=building: self.facilities.floors.create(
                    building=building, level=row.level, name=row.name
                ),
            )

    def rooms(self) -> None:
        rows = list(self.rows(legacy.Room).select_related("floor__building").order_by("name"))
        parents = self.parents(rows, "floor_id")
        found = {(r.floor, r.name): r for r in self.find(Facilities.rooms, "floor", parents)}
        for row in rows:
            floor = self.moved[row.floor_id]
            self.copy(
                "room",
                row,
                key=f"{row.name} on {row.floor.building.name} level {row.floor.level}",
                parent=floor,
                existing=found.get((floor, row.name)),
                create=lambda row=row, floor=floor: self.facilities.rooms.create(
                    floor=floor, name=row.name
                ),
            )

    def devices_(self) -> None:
        rows = list(self.rows(legacy.Device).order_by("eui"))
        existing = {d.eui: d for d in self.find(Devices.devices, "eui", [r.eui for r in rows])}
        for row in rows:
            room, organization = self.moved[row.room_id], self.moved[row.organization_id]
            self.copy(
                "device",
                row,
                key=row.eui,
                parent=REFUSED if REFUSED in (room, organization) else room,
                existing=existing.get(row.eui),
                create=lambda row=row, room=room, organization=organization: (
                    self.devices.devices.create(
                        eui=row.eui,
                        name=row.name,
                        kind=row.kind,
                        firmware=row.firmware,
                        room=room,
                        organization=organization,
                    )
                ),
            )

    # -- the one way each object is copied --------------------------------------------------

    def copy(
        self,
        kind: str,
        row: Any,
        *,
        key: str,
        existing: Any,
        create: Any,
        parent: Any = "",
        refuse: str | None = None,
    ) -> None:
        """Skip `row` if its domain has it, refuse it if its parent was refused, else create it."""
        if parent == REFUSED:
            self.report(kind, REFUSED, key, "what it belongs to was refused")
            self.moved[row.uuid] = REFUSED
        elif refuse:
            self.report(kind, REFUSED, key, refuse)
            self.moved[row.uuid] = REFUSED
        elif existing is not None:
            self.report(kind, "skipped", key, "its domain has it already")
            self.moved[row.uuid] = existing.uuid
        elif self.dry_run:
            self.report(kind, "created", key, "")
            self.moved[row.uuid] = None
        else:
            try:
                self.moved[row.uuid] = create().uuid
            except (ValidationFailed, Conflict) as exc:
                reason = "; ".join(
                    f"{field}: {' '.join(messages)}" for field, messages in _errors(exc).items()
                )
                self.report(kind, REFUSED, key, reason)
                self.moved[row.uuid] = REFUSED
            else:
                self.report(kind, "created", key, "")

    def report(self, kind: str, outcome: str, key: str, detail: str) -> None:
        self.counts[outcome] += 1
        self.by_kind[kind][outcome] += 1
        verb = {"created": "create", "skipped": "skip", REFUSED: "refuse"}[outcome]
        if self.dry_run:
            verb = f"would {verb}"
        line = f"{verb} {kind} {key}" + (f": {detail}" if detail else "")
        style = self.command.style.ERROR if outcome == REFUSED else self.command.style.SUCCESS
        self.command.stdout.write(style(line) if outcome != "skipped" else line)

    def summary(self) -> str:
        verbs = ("would be " if self.dry_run else "") + "{}"
        parts = [
            f"{kind}s: "
            + ", ".join(
                f"{counts[outcome]} {verbs.format(outcome)}"
                for outcome in ("created", "skipped", REFUSED)
            )
            for kind, counts in self.by_kind.items()
        ]
        return "; ".join(parts) or "Nothing to copy."

    # -- looking up what the domains have ---------------------------------------------------

    def parents(self, rows: Iterable[Any], attribute: str) -> list[UUID]:
        """The domain UUIDs of the parents of `rows` that exist in their domain."""
        found = {self.moved[getattr(row, attribute)] for row in rows}
        return [uuid for uuid in found if isinstance(uuid, UUID)]

    def find(self, spec: ResourceSpec[Any], name: str, values: list[Any]) -> Iterator[Any]:
        """Every object of the resource `spec` declares whose filter `name` is one of
        `values`, in pages as large as it allows."""
        assert spec.interface is not None
        resource = getattr(services.get(spec.interface.domain), spec.name)
        values = sorted(set(values), key=str)
        for start in range(0, len(values), LOOKUP_CHUNK):
            chunk = values[start : start + LOOKUP_CHUNK]
            number = 1
            while True:
                page = resource.list(
                    filters={name: chunk}, page=number, page_size=spec.max_page_size
                )
                yield from page.items
                if not page.has_next:
                    break
                number += 1


def _errors(exc: DomainError) -> dict[str, list[str]]:
    if isinstance(exc, ValidationFailed):
        return exc.errors
    errors = exc.context.get("errors")
    return errors if isinstance(errors, dict) else {"__all__": [exc.message]}
