"""The one data set the portal's pages are compared on, stored either way.

`seed_legacy()` writes it to the portal's own models (legacy mode); `seed_domains()` to the
users, facilities and devices domains' tables and the devices' status store (services mode).
Every object has a fixed UUID, so both modes render the same links; last-seen times are
relative to `seen`, which the caller gives both (a device is online for five minutes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

NAMESPACE = uuid.UUID("0b6f5f0e-8f7a-4a53-9a5e-3c5b1d2e7f10")
DEVICES = 55  # a page of 50, and a second page of 5
LONG_AGO = timedelta(hours=3)


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


@dataclass(frozen=True)
class Org:
    uuid: uuid.UUID
    name: str
    slug: str


@dataclass(frozen=True)
class Building:
    uuid: uuid.UUID
    organization: uuid.UUID
    name: str
    address: str


@dataclass(frozen=True)
class Floor:
    uuid: uuid.UUID
    building: uuid.UUID
    level: int
    name: str


@dataclass(frozen=True)
class Room:
    uuid: uuid.UUID
    floor: uuid.UUID
    name: str


@dataclass(frozen=True)
class Device:
    uuid: uuid.UUID
    eui: str
    name: str
    kind: str
    firmware: str
    organization: uuid.UUID
    room: uuid.UUID
    seen: str  # "recent", "long ago" or "never"
    battery: int | None


@dataclass
class DataSet:
    organizations: list[Org] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    floors: list[Floor] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)

    def uuids(self) -> set[uuid.UUID]:
        return {
            row.uuid
            for rows in (self.organizations, self.buildings, self.floors, self.rooms, self.devices)
            for row in rows
        }


KINDS = ("sensor", "meter", "actuator", "gateway")


def dataset() -> DataSet:
    """Acme (HQ with three floors, an Annex with no devices), Globex (a Tower), Initech (empty);
    55 devices in Acme HQ and Globex Tower, some online, some not heard of for hours, some never."""
    data = DataSet()
    acme = Org(uid("org", "acme"), "Acme Buildings", "acme")
    globex = Org(uid("org", "globex"), "Globex Facilities", "globex")
    initech = Org(uid("org", "initech"), "Initech", "initech")
    data.organizations += [acme, globex, initech]
    plan = [
        # organization, building, address, {level: floor name}, rooms per floor
        (acme, "Acme HQ", "1 Main Street", {0: "Ground floor", 1: "", 2: "Labs"}, 3),
        (acme, "Acme Annex", "", {0: "", 1: ""}, 1),
        (globex, "Globex Tower", "9 High Street", {0: "Lobby", 1: "", 7: "Top"}, 2),
    ]
    for org, name, address, levels, rooms in plan:
        building = Building(uid("building", name), org.uuid, name, address)
        data.buildings.append(building)
        for level, floor_name in levels.items():
            floor = Floor(uid("floor", name, level), building.uuid, level, floor_name)
            data.floors.append(floor)
            for n in range(1, rooms + 1):
                room_name = f"{name.split()[1][0]}{level}{n:02d}"
                data.rooms.append(Room(uid("room", name, level, n), floor.uuid, room_name))
    hq_rooms = [r for r in data.rooms if r.name.startswith("H")]
    tower_rooms = [r for r in data.rooms if r.name.startswith("T")]
    for n in range(1, DEVICES + 1):
        acme_device = n % 3 != 0
        org, rooms = (acme, hq_rooms) if acme_device else (globex, tower_rooms)
        data.devices.append(
            Device(
                uuid=uid("device", n),
                eui=f"70B3D57ED00{n:05X}",
                name=f"Device {n:02d}",
                kind=KINDS[n % 4],
                firmware=f"1.{n % 3}.0" if n % 5 else "",
                organization=org.uuid,
                room=rooms[n % len(rooms)].uuid,
                seen=("recent", "long ago", "never")[n % 3 if n % 7 else 2],
                battery=None if n % 4 == 0 else 40 + n,
            )
        )
    # A room of Acme HQ keeps no device (deletable); Annex rooms have none either.
    return data


def last_seen(device: Device, seen: datetime) -> datetime | None:
    return {"recent": seen, "long ago": seen - LONG_AGO, "never": None}[device.seen]


def seed_legacy(seen: datetime) -> None:
    """The data set on the portal's own models."""
    from portal_legacy import models as legacy

    data = dataset()
    orgs = {
        o.uuid: legacy.Organization.objects.create(uuid=o.uuid, name=o.name, slug=o.slug)
        for o in data.organizations
    }
    buildings = {
        b.uuid: legacy.Building.objects.create(
            uuid=b.uuid, organization=orgs[b.organization], name=b.name, address=b.address
        )
        for b in data.buildings
    }
    floors = {
        f.uuid: legacy.Floor.objects.create(
            uuid=f.uuid, building=buildings[f.building], level=f.level, name=f.name
        )
        for f in data.floors
    }
    rooms = {
        r.uuid: legacy.Room.objects.create(uuid=r.uuid, floor=floors[r.floor], name=r.name)
        for r in data.rooms
    }
    legacy.Device.objects.bulk_create(
        legacy.Device(
            uuid=d.uuid,
            eui=d.eui,
            name=d.name,
            kind=d.kind,
            firmware=d.firmware,
            organization=orgs[d.organization],
            room=rooms[d.room],
            last_seen=last_seen(d, seen),
            battery=d.battery if d.seen != "never" else None,
        )
        for d in data.devices
    )


def seed_domains(seen: datetime, status_store: Any) -> None:
    """The data set in the users, facilities and devices domains (their tables, straight), and
    each device's last report in the status store (`DeviceMongoDBService`)."""
    from devices.models import Device as DomainDevice
    from facilities import models as facilities
    from users.models import Organization as DomainOrganization

    data = dataset()
    DomainOrganization.objects.bulk_create(
        DomainOrganization(uuid=o.uuid, name=o.name, slug=o.slug) for o in data.organizations
    )
    buildings = {
        b.uuid: facilities.Building.objects.create(
            uuid=b.uuid, organization=b.organization, name=b.name, address=b.address
        )
        for b in data.buildings
    }
    floors = {
        f.uuid: facilities.Floor.objects.create(
            uuid=f.uuid, building=buildings[f.building], level=f.level, name=f.name
        )
        for f in data.floors
    }
    facilities.Room.objects.bulk_create(
        facilities.Room(uuid=r.uuid, floor=floors[r.floor], name=r.name) for r in data.rooms
    )
    DomainDevice.objects.bulk_create(
        DomainDevice(
            uuid=d.uuid,
            eui=d.eui,
            name=d.name,
            kind=d.kind,
            firmware=d.firmware,
            organization=d.organization,
            room=d.room,
        )
        for d in data.devices
    )
    for d in data.devices:
        when = last_seen(d, seen)
        if when is None:
            continue
        fields = {} if d.battery is None else {"battery": d.battery}
        status_store(clock=lambda when=when: when).update(d.eui, timestamp=when, **fields)
