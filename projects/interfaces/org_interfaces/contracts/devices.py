"""The devices domain's own contract: its verbs, its operation and its cross-domain rules.

What every interface promises (round trips, filters, orderings, pages, NotFound, malformed
UUIDs, unknown fields) is `domain_services.testing.contract.InterfaceContract`'s.
"""

from __future__ import annotations

import uuid

import pytest

from domain_services.errors import Conflict, NotFound, ValidationFailed


class DevicesContract:
    """Needs fixtures `devices` (the devices domain under test) and `site`: an object with
    `organization`, `other_organization`, `building`, `rooms` (rooms of `building`, owned by
    `organization`) and `foreign_room` (a room of `other_organization`), all existing."""

    def register(self, devices, site, eui="70B3D57ED0001234", room=None, **extra):
        return devices.register_device(
            eui=eui,
            name=extra.pop("name", f"Sensor {eui[-4:]}"),
            kind=extra.pop("kind", "sensor"),
            firmware=extra.pop("firmware", "1.0.0"),
            room=room or site.rooms[0],
            organization=extra.pop("organization", site.organization),
            **extra,
        )

    def test_register_update_decommission(self, devices, site):
        device = self.register(devices, site, eui="70b3d57ed0001234")
        assert device.eui == "70B3D57ED0001234"  # normalised
        assert devices.devices.get(device.uuid) == device
        moved = devices.update_device(device.uuid, room=site.rooms[1], firmware="1.1.0")
        assert (moved.room, moved.firmware) == (site.rooms[1], "1.1.0")
        devices.decommission_device(device.uuid)
        with pytest.raises(NotFound):
            devices.devices.get(device.uuid)

    def test_devices_for_building(self, devices, site):
        made = {
            self.register(devices, site, eui=f"00000000000000{n:02X}", room=site.rooms[n % 2]).uuid
            for n in range(6)
        }
        found = devices.devices_for_building(building_uuid=site.building)
        assert {d.uuid for d in found} == made

    def test_registration_is_checked_against_the_other_domains(self, devices, site):
        with pytest.raises(ValidationFailed) as exc:
            self.register(devices, site, room=uuid.uuid4())
        assert "room" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            self.register(devices, site, organization=uuid.uuid4())
        assert "organization" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            self.register(devices, site, room=site.foreign_room)
        assert "room" in exc.value.errors
        assert "another organization" in str(exc.value)
        assert devices.devices.list().total == 0

    def test_errors(self, devices, site):
        self.register(devices, site, eui="70B3D57ED0001234")
        with pytest.raises(Conflict):
            self.register(devices, site, eui="70b3d57ed0001234")
        for bad in ("XYZ", "70B3D57ED00012345", "70B3D57ED000123G"):
            with pytest.raises(ValidationFailed) as exc:
                self.register(devices, site, eui=bad)
            assert "eui" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            self.register(devices, site, eui="0000000000000001", kind="toaster")
        assert "kind" in exc.value.errors
        with pytest.raises(NotFound):
            devices.devices_for_building(building_uuid=uuid.uuid4())
