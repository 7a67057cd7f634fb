"""What devices do when facilities' rooms change: one contract, both deployments.

Run in the monolith (the handlers run when facilities' transaction commits) and against the
multi-process stack (facilities' outbox, the relay, the broker, the devices consumer): the same
assertions, only `eventually` differs.
"""

from __future__ import annotations

import uuid

import pytest

from domain_services.errors import Conflict, NotFound, ValidationFailed


class RoomReferencesContract:
    """Needs fixtures:

    - `facilities`, `devices`: the two domains as the test reaches them;
    - `site`: `organization`, `building`, `floor`, `rooms` (two rooms of `floor`) and
      `foreign_room` (a room of another organization), existing;
    - `eventually(check)`: calls `check()` until it passes (or fails for good);
    - `room_labels(organization)`: `{device uuid: (room_label, monitored_room_label)}` for the
      devices of an organization, as the devices API shows them (`?include=room`).
    """

    def device(self, devices, site, *, monitored_room=None):
        return devices.register_device(
            eui=f"70B3D57E{uuid.uuid4().hex[:8].upper()}",
            name="Meter",
            kind="meter",
            room=site.rooms[0],
            organization=site.organization,
            monitored_room=monitored_room,
        )

    def test_a_deleted_room_clears_set_null_and_deletes_cascade_referrers(
        self, facilities, devices, site, eventually, room_labels
    ):
        cabinet = facilities.rooms.create(floor=site.floor, name=f"Flat {uuid.uuid4().hex[:6]}")
        meter = self.device(devices, site, monitored_room=cabinet.uuid)
        doomed = devices.thresholds.create(room=cabinet.uuid, reading="power", maximum=9000.0)
        kept = devices.thresholds.create(room=site.rooms[0], reading="temperature", maximum=26.0)

        def known():
            assert room_labels(site.organization)[meter.uuid][1] == cabinet.label

        eventually(known)

        facilities.rooms.delete(cabinet.uuid)

        def applied():
            assert devices.devices.get(meter.uuid).monitored_room is None  # SET_NULL
            with pytest.raises(NotFound):
                devices.thresholds.get(doomed.uuid)  # CASCADE
            assert devices.thresholds.get(kept.uuid) == kept
            assert room_labels(site.organization)[meter.uuid][1] is None

        eventually(applied)

    def test_a_room_a_device_stands_in_is_still_protected(self, facilities, devices, site):
        self.device(devices, site)

        with pytest.raises(Conflict) as exc:
            facilities.rooms.delete(site.rooms[0])

        assert "devices.Device.room" in str(exc.value)
        assert facilities.rooms.get(site.rooms[0]).uuid == site.rooms[0]

    def test_deleting_a_building_reaches_every_room_it_removes(
        self, facilities, devices, site, eventually
    ):
        annex = facilities.buildings.create(
            name=f"Annex {uuid.uuid4().hex[:6]}", organization=site.organization
        )
        floor = facilities.floors.create(building=annex.uuid, level=1)
        rooms = [facilities.rooms.create(floor=floor.uuid, name=f"A{n}") for n in range(2)]
        meter = self.device(devices, site, monitored_room=rooms[1].uuid)
        doomed = [
            devices.thresholds.create(room=room.uuid, reading="co2", maximum=1000.0)
            for room in rooms
        ]

        facilities.buildings.delete(annex.uuid)

        def applied():
            assert devices.devices.get(meter.uuid).monitored_room is None
            assert devices.thresholds.get_many([t.uuid for t in doomed]) == {}

        eventually(applied)

    def test_room_labels_follow_renames_of_the_room_its_floor_and_building(
        self, facilities, devices, site, eventually, room_labels
    ):
        meter = self.device(devices, site, monitored_room=site.rooms[1])
        rooms = [facilities.rooms.get(uuid) for uuid in site.rooms]

        def known():
            assert room_labels(site.organization)[meter.uuid] == tuple(r.label for r in rooms)

        eventually(known)

        facilities.rooms.update(site.rooms[0], name="Boiler room")
        facilities.floors.update(site.floor, name="Basement")
        facilities.buildings.update(site.building, name="Head office")

        def renamed():
            assert room_labels(site.organization)[meter.uuid] == (
                "Head office / Basement / Boiler room",
                f"Head office / Basement / {rooms[1].name}",
            )

        eventually(renamed)

    def test_a_monitored_room_of_another_organization_is_refused(self, devices, site):
        with pytest.raises(ValidationFailed) as exc:
            self.device(devices, site, monitored_room=site.foreign_room)

        assert "monitored_room" in exc.value.errors
