"""`copy_legacy_data` moves the legacy database into the domains through their interfaces:
everything once, nothing twice, a dry run that writes nothing, refusals reported."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from portal_legacy import models as legacy

from domain_services import services
from org_interfaces.devices import Devices
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users
from tests.conftest import a_moment_ago
from tests.dataset import DEVICES, dataset, seed_legacy

pytestmark = pytest.mark.django_db(transaction=True)


def copy(*args: str) -> str:
    out = io.StringIO()
    call_command("copy_legacy_data", *args, stdout=out)
    return out.getvalue()


def everything() -> list[dict]:
    """What the domains hold, by natural keys (the domains chose their own UUIDs)."""
    users = services.get("users", Users)
    facilities = services.get("facilities", Facilities)
    devices = services.get("devices", Devices)
    orgs = {o.uuid: o.slug for o in users.organizations.list(page_size=500).items}
    rooms = {r.uuid: r.label for r in facilities.rooms.list(page_size=500).items}
    return sorted(
        (
            {
                "eui": d.eui,
                "name": d.name,
                "kind": d.kind,
                "org": orgs[d.organization],
                "room": rooms[d.room],
            }
            for d in devices.devices.list(page_size=500).items
        ),
        key=lambda d: d["eui"],
    )


def legacy_devices() -> list[dict]:
    return [
        {
            "eui": d.eui,
            "name": d.name,
            "kind": d.kind,
            "org": d.organization.slug,
            "room": d.room.label,
        }
        for d in legacy.Device.objects.select_related(
            "organization", "room__floor__building"
        ).order_by("eui")
    ]


@pytest.mark.parametrize("over", ["in-process", "REST"])
def test_the_legacy_database_is_copied_into_the_domains(request, over, client, status_store):
    seed_legacy(a_moment_ago())
    if over == "REST":
        request.getfixturevalue("over_rest")

    said = copy()

    data = dataset()
    assert everything() == legacy_devices()
    assert len(everything()) == DEVICES
    assert said.count("create ") == (
        len(data.organizations) + len(data.buildings) + len(data.floors) + len(data.rooms) + DEVICES
    )
    assert "devices: 55 created, 0 skipped, 0 refused" in said
    assert "Device 01" in client.get("/devices/").content.decode()  # the portal reads it


def test_a_second_run_skips_everything():
    seed_legacy(a_moment_ago())
    copy()
    before = everything()

    said = copy()

    assert everything() == before
    assert "create " not in said and said.count("skip ") == len(dataset().uuids())


def test_a_dry_run_reports_and_writes_nothing():
    seed_legacy(a_moment_ago())

    said = copy("--dry-run")

    assert "would create organization acme" in said
    assert "would create device 70B3D57ED0000001" in said
    assert "55 would be created" in said
    assert everything() == []
    assert services.get("users", Users).organizations.list().total == 0


def test_what_a_domain_refuses_is_reported_with_its_reason_and_the_rest_copied():
    seed_legacy(a_moment_ago())
    # The legacy database let this through (an update skips clean()); the domain does not.
    legacy.Device.objects.filter(eui="70B3D57ED0000001").update(
        room=legacy.Room.objects.get(name="T001")
    )
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 objects refused"):
        call_command("copy_legacy_data", stdout=out)

    assert (
        "refuse device 70B3D57ED0000001: room: Room 'Globex Tower / Lobby / T001' belongs to "
        "another organization." in out.getvalue()
    )
    euis = [d["eui"] for d in everything()]
    assert "70B3D57ED0000001" not in euis and len(euis) == DEVICES - 1
