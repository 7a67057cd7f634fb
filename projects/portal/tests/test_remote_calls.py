"""What a page costs in services mode over REST: a fixed number of calls, whatever its rows.

Each reference a template follows (`device.room.floor.building.name`) is resolved for the
whole page in one lookup, and the live status of the page's devices in one call.
"""

from __future__ import annotations

import pytest

from tests.conftest import a_moment_ago
from tests.dataset import seed_domains
from tests.pages import HQ, ROOM, TOWER

pytestmark = pytest.mark.django_db(transaction=True)

DEVICE_ROW = '<tr>\n  <td><a href="/devices/'

# The device list: the organizations of its filter, the paginator's count, the page, then one
# lookup per kind of reference the rows show and one status call.
DEVICE_LIST_CALLS = sorted(
    [
        "GET /api/v1/organizations/",
        "GET /api/v1/devices/",
        "GET /api/v1/devices/",
        "POST /api/v1/rooms/lookup",
        "POST /api/v1/floors/lookup",
        "POST /api/v1/buildings/lookup",
        "POST /api/v1/organizations/lookup",
        "GET /api/v1/device-statuses",
    ]
)


@pytest.fixture
def seeded(status_store, over_rest):
    seed_domains(a_moment_ago(), status_store)


def calls_of(client, api_calls, path):
    api_calls.clear()
    response = client.get(path)
    assert response.status_code == 200
    return sorted(api_calls), response.content.decode()


def test_the_device_list_costs_the_same_calls_for_5_rows_as_for_50(seeded, client, api_calls):
    fifty_calls, fifty = calls_of(client, api_calls, "/devices/")
    five_calls, five = calls_of(client, api_calls, "/devices/?page=2")

    assert fifty.count(DEVICE_ROW) == 50 and five.count(DEVICE_ROW) == 5
    assert "Acme HQ" in fifty and "Globex Facilities" in fifty and "online" in fifty
    assert fifty_calls == five_calls == DEVICE_LIST_CALLS


def test_a_building_costs_the_same_calls_whatever_its_floors_and_rooms(seeded, client, api_calls):
    hq_calls, hq = calls_of(client, api_calls, f"/buildings/{HQ}/")  # 3 floors of 3 rooms
    tower_calls, tower = calls_of(client, api_calls, f"/buildings/{TOWER}/")  # 3 of 2

    assert hq.count('<li><a href="/rooms/') == 9 and tower.count('<li><a href="/rooms/') == 6
    assert hq_calls == tower_calls
    assert len(hq_calls) == 4  # the building, its organization, its floors, their rooms


def test_a_room_costs_the_same_calls_whatever_its_devices(seeded, client, api_calls):
    room_calls, room = calls_of(client, api_calls, f"/rooms/{ROOM}/")

    assert room.count(DEVICE_ROW) >= 3
    # The room, its floor, building and organization, its devices, their statuses.
    assert room_calls == sorted(
        [
            "POST /api/v1/rooms/lookup",
            "POST /api/v1/floors/lookup",
            "POST /api/v1/buildings/lookup",
            "POST /api/v1/organizations/lookup",
            "GET /api/v1/devices/",
            "GET /api/v1/device-statuses",
        ]
    )
