"""Events across the real multi-process stack: facilities' outbox, its relay, Mosquitto, the
devices event consumer, and the devices service's read model of rooms.

The stack is `integrations/demo/run.py` (the `stack` fixture of test_demo_stack, started once
more for this module).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.interface_client import client_for
from domain_services.project_settings import DEV_SERVICE_TOKEN
from org_interfaces import demo_data
from org_interfaces.contracts.room_references import RoomReferencesContract
from org_interfaces.devices import Devices
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users
from tests.e2e import test_demo_stack
from tests.e2e.test_demo_stack import AUTH, Stack, _log_in

pytestmark = pytest.mark.slow

# The demo stack fixture, started for this module's tests.
stack = test_demo_stack.stack

EVENTUALLY = 30.0  # seconds: outbox -> relay -> broker -> consumer, on a loaded machine


def _client(stack: Stack, domain: str, interface: Any) -> Any:
    return client_for(interface, RestClient(domain, stack.urls[domain], token=DEV_SERVICE_TOKEN))


@pytest.fixture
def facilities(stack: Stack) -> Facilities:
    return _client(stack, "facilities", Facilities)


@pytest.fixture
def devices(stack: Stack) -> Devices:
    return _client(stack, "devices", Devices)


@pytest.fixture
def site(stack: Stack, facilities: Facilities) -> SimpleNamespace:
    users = _client(stack, "users", Users)
    tag = uuid.uuid4().hex[:8]
    org = users.organizations.create(name=f"Org {tag}", slug=f"org-{tag}")
    other = users.organizations.create(name=f"Other {tag}", slug=f"other-{tag}")
    building = facilities.buildings.create(name=f"HQ {tag}", organization=org.uuid)
    floor = facilities.floors.create(building=building.uuid, level=1)
    rooms = [facilities.rooms.create(floor=floor.uuid, name=f"R{n}").uuid for n in range(2)]
    elsewhere = facilities.buildings.create(name=f"Elsewhere {tag}", organization=other.uuid)
    foreign_floor = facilities.floors.create(building=elsewhere.uuid, level=1)
    foreign_room = facilities.rooms.create(floor=foreign_floor.uuid, name="X1").uuid
    return SimpleNamespace(
        organization=org.uuid,
        building=building.uuid,
        floor=floor.uuid,
        rooms=rooms,
        foreign_room=foreign_room,
    )


@pytest.fixture
def eventually() -> Callable[[Callable[[], None]], None]:
    def wait(check: Callable[[], None]) -> None:
        deadline = time.monotonic() + EVENTUALLY
        while True:
            try:
                check()
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    return wait


def _labels(stack: Stack, **filters: Any) -> dict[str, dict[str, Any]]:
    response = requests.get(
        f"{stack.urls['devices']}/api/v1/devices/",
        params={"include": "room", "page_size": 500, **filters},
        headers=AUTH,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {row["uuid"]: row for row in response.json()["results"]}


@pytest.fixture
def room_labels(stack: Stack) -> Callable[[uuid.UUID], dict[uuid.UUID, tuple[Any, Any]]]:
    def labels(organization: uuid.UUID) -> dict[uuid.UUID, tuple[Any, Any]]:
        rows = _labels(stack, organization=str(organization))
        return {
            uuid.UUID(key): (row["room_label"], row["monitored_room_label"])
            for key, row in rows.items()
        }

    return labels


class TestRoomReferencesAcrossServices(RoomReferencesContract):
    """The contract the monolith passes, over the broker between three services."""


def test_facilities_health_reports_its_outbox(stack: Stack, facilities: Facilities) -> None:
    response = requests.get(f"{stack.urls['facilities']}/health", timeout=10)

    assert response.status_code == 200, response.text
    outbox = response.json()["checks"]["outbox"]
    assert outbox["status"] == "ok" and outbox["required"] is False
    assert outbox["backlog"] >= 0 and "oldest_age_seconds" in outbox
    assert "Event relay connected" in stack.text()
    assert "subscribed to events/facilities/Room/+" in stack.text()


@contextlib.contextmanager
def frozen(pid: int) -> Iterator[None]:
    """The process group `pid` stopped (SIGSTOP): it holds its port and answers nothing."""
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def test_devices_are_listed_with_room_labels_while_facilities_is_down(stack: Stack) -> None:
    seeded = {row.uuid: row for row in demo_data.devices()}
    expected = {
        str(device): requests.get(
            f"{stack.urls['facilities']}/api/v1/rooms/{row.fields['room']}",
            headers=AUTH,
            timeout=10,
        ).json()["label"]
        for device, row in list(seeded.items())[:5]
    }
    pid = int(re.findall(r"started facilities \(pid (\d+)\)", stack.text())[0])

    with frozen(pid):
        started = time.monotonic()
        listed = _labels(stack)
        elapsed = time.monotonic() - started
        session = requests.Session()
        _log_in(session, stack.urls["devices"])
        admin = session.get(f"{stack.urls['devices']}/admin/devices/device/", timeout=20)
        with pytest.raises(requests.RequestException):  # facilities answers nothing meanwhile
            requests.get(f"{stack.urls['facilities']}/health", timeout=2)

    assert {key: listed[key]["room_label"] for key in expected} == expected
    assert elapsed < 5, f"the list waited for facilities ({elapsed:.1f}s)"
    assert admin.status_code == 200
    assert any(label in admin.text for label in expected.values()), admin.text[:2000]
