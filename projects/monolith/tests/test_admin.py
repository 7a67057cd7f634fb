"""The admin: staff only, writes through the services, errors as form errors."""

from __future__ import annotations

import pytest

from devices.models import Device
from domain_services import services
from facilities.models import Building

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client


def test_only_active_staff_can_sign_in(client, django_user_model):
    django_user_model.objects.create_user("visitor", password="pw")
    django_user_model.objects.create_user("former", password="pw", is_staff=True, is_active=False)
    for username in ("visitor", "former"):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": username, "password": "pw"}
        )
        assert response.status_code == 200  # the form again, with an error
        assert b"Please enter the correct username and password" in response.content
        assert client.get("/admin/").status_code == 302


def test_staff_reach_every_changelist(staff):
    for path in (
        "users/organization",
        "users/person",
        "facilities/building",
        "facilities/floor",
        "facilities/room",
        "devices/device",
    ):
        assert staff.get(f"/admin/{path}/").status_code == 200, path


def test_adding_a_device_goes_through_the_service(staff, make_site):
    site = make_site()
    response = staff.post(
        "/admin/devices/device/add/",
        {
            "eui": "70b3d57ed000abcd",
            "name": "Meter",
            "kind": "meter",
            "firmware": "1.0",
            "room": site.rooms[0],
            "organization": site.organization,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    device = Device.objects.get(name="Meter")
    assert device.eui == "70B3D57ED000ABCD"  # the service normalised it


def test_a_rule_of_the_service_shows_as_a_form_error_and_saves_nothing(staff, make_site):
    site = make_site()
    response = staff.post(
        "/admin/devices/device/add/",
        {
            "eui": "70B3D57ED000ABCD",
            "name": "Wrong place",
            "kind": "meter",
            "room": site.foreign_room,
            "organization": site.organization,
        },
    )
    assert response.status_code == 200
    assert b"belongs to another organization" in response.content
    assert not Device.objects.exists()


def test_a_building_for_an_unknown_organization_is_refused(staff):
    import uuid

    response = staff.post(
        "/admin/facilities/building/add/",
        {"name": "Nowhere", "address": "", "organization": str(uuid.uuid4())},
    )
    assert response.status_code == 200
    assert b"No organization with UUID" in response.content
    assert not Building.objects.exists()


def test_deleting_a_protected_object_in_the_admin_is_refused(staff, make_site):
    site = make_site()
    services.devices.register_device(
        eui="70B3D57ED000ABCD", name="M", room=site.rooms[0], organization=site.organization
    )
    from facilities.models import Room

    room = Room.objects.get(uuid=site.rooms[0])
    response = staff.post(f"/admin/facilities/room/{room.pk}/delete/", {"post": "yes"}, follow=True)
    assert Room.objects.filter(pk=room.pk).exists()
    assert b"cannot be deleted" in response.content or b"referred to" in response.content


def test_the_building_changelist_names_organizations(staff, make_site):
    make_site()
    page = staff.get("/admin/facilities/building/").content.decode()
    assert "Acme" in page and "(missing)" not in page
