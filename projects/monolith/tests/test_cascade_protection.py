"""Deleting a floor or building removes its rooms: a device in one of them refuses it.

The rooms go with their floor through a ForeignKey cascade inside facilities; the devices refer
to rooms by UUID (PROTECT) from another domain. The API answers 409 naming the reference, the
admin's delete confirmation lists it, and nothing is deleted.
"""

from __future__ import annotations

import pytest

from devices.models import Device
from domain_services import services
from domain_services.project_settings import DEV_SERVICE_TOKEN
from facilities.models import Building, Floor, Room

pytestmark = pytest.mark.django_db(databases="__all__")

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEV_SERVICE_TOKEN}"}


@pytest.fixture
def occupied_site(make_site):
    site = make_site()
    services.devices.register_device(
        eui="70B3D57ED000ABCD", name="Meter", room=site.rooms[1], organization=site.organization
    )
    return site


@pytest.mark.parametrize("resource", ["floors", "buildings"])
def test_deleting_a_parent_of_an_occupied_room_is_a_409_naming_the_reference(
    client, occupied_site, resource
):
    target = occupied_site.floor if resource == "floors" else occupied_site.building

    response = client.delete(f"/api/v1/{resource}/{target}", **AUTH)

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["context"]["referrer"] == "devices.Device.room"
    assert body["context"]["references"] == [
        {
            "target": "facilities.Room",
            "uuid": str(occupied_site.rooms[1]),
            "referrer": "devices.Device.room",
            "count": 1,
        }
    ]
    assert Building.objects.filter(uuid=occupied_site.building).exists()
    assert Floor.objects.filter(uuid=occupied_site.floor).exists()
    assert Room.objects.filter(uuid__in=occupied_site.rooms).count() == 2
    assert Device.objects.filter(room=occupied_site.rooms[1]).exists()


def test_an_empty_building_goes_with_its_floors_and_rooms(client, make_site):
    site = make_site()

    response = client.delete(f"/api/v1/buildings/{site.building}", **AUTH)

    assert response.status_code == 204, response.content
    assert not Room.objects.filter(uuid__in=site.rooms).exists()
    assert not Floor.objects.filter(uuid=site.floor).exists()


def test_the_admin_delete_page_lists_the_device_that_blocks_a_building(client, occupied_site):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(staff)
    building = Building.objects.get(uuid=occupied_site.building)

    page = client.get(f"/admin/facilities/building/{building.pk}/delete/").content.decode()

    assert "facilities.Room &#x27;R1&#x27; is referred to by devices.Device.room" in page
    client.post(f"/admin/facilities/building/{building.pk}/delete/", {"post": "yes"})
    assert Building.objects.filter(pk=building.pk).exists()
    assert Room.objects.filter(uuid__in=occupied_site.rooms).count() == 2
