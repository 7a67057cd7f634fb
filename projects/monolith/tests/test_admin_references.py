"""References into other domains in the admin: searchable selects of names, full labels.

A `UUIDReference` in a change form is a select showing the referenced object's label, searched
through the owning domain's interface (local or REST alike); changelists show the declared
label; a domain that is down leaves the pages usable.
"""

from __future__ import annotations

import re
import socket
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from devices.admin import DeviceAdmin
from devices.models import Device
from domain_services import services
from domain_services.admin import reference_target
from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.interface_client import client_for
from domain_services.interfaces import Interface
from facilities.models import Building
from org_interfaces.facilities import Facilities

pytestmark = pytest.mark.django_db(databases="__all__")

SEARCH = "/admin/devices/device/references/room/"


@pytest.fixture(autouse=True)
def status_store(real_components):
    """The device pages show live status: a real (fast) MongoDB wire server answers it."""


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def site(make_site):
    return make_site()


@pytest.fixture
def device(site):
    return services.devices.register_device(
        eui="70B3D57ED0001234", name="Boiler", room=site.rooms[0], organization=site.organization
    )


@pytest.fixture
def backend(request):
    """Users and facilities in process, or over REST (see `local_and_rest`)."""
    if request.param == "rest":
        request.getfixturevalue("remote_neighbours")
    return request.param


# Over REST the live server reads the test's data from its own connection: committed data.
local_and_rest = pytest.mark.parametrize(
    "backend",
    [
        "local",
        pytest.param("rest", marks=pytest.mark.django_db(transaction=True, databases="__all__")),
    ],
    indirect=True,
)


def unreachable(domain, interface):
    """`interface` over REST at a port where nothing listens: every call is Unavailable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rest = RestClient(domain, f"http://127.0.0.1:{port}", token="t", retries=0, deadline=2)
    return client_for(interface, rest)


@pytest.fixture
def facilities_down():
    with services.overriding(facilities=unreachable("facilities", Facilities)):
        yield


# -- the search behind the select ------------------------------------------------------------


@local_and_rest
def test_the_room_search_answers_with_labels_from_the_facilities_interface(
    staff, site, backend, api_calls
):
    api_calls.clear()
    response = staff.get(SEARCH, {"term": "R", "page": "1"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["pagination"] == {"more": False}
    # HQ's R0 and R1 match; Elsewhere's X1 does not.
    assert {r["text"] for r in body["results"]} == {"HQ / Level 1 / R0", "HQ / Level 1 / R1"}
    assert {r["id"] for r in body["results"]} == {str(u) for u in site.rooms}
    if backend == "rest":
        assert api_calls == ["/api/v1/rooms/"]  # one list call, through the REST client


def test_the_search_pages_twenty_at_a_time(staff, site):
    for n in range(2, 25):
        services.facilities.rooms.create(floor=site.floor, name=f"R{n}")

    first = staff.get(SEARCH, {"term": "R", "page": "1"}).json()
    second = staff.get(SEARCH, {"term": "R", "page": "2"}).json()

    assert len(first["results"]) == 20 and first["pagination"] == {"more": True}
    assert len(second["results"]) == 5 and second["pagination"] == {"more": False}
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == 25


def test_an_empty_term_lists_every_room_and_a_uuid_finds_its_room(staff, site):
    everything = staff.get(SEARCH).json()
    by_uuid = staff.get(SEARCH, {"term": str(site.foreign_room)}).json()

    assert len(everything["results"]) == 3
    assert by_uuid["results"] == [
        {"id": str(site.foreign_room), "text": "Elsewhere / Level 1 / X1"}
    ]


def test_the_organization_search_uses_the_users_interface(staff, site):
    body = staff.get("/admin/devices/device/references/organization/", {"term": "oth"}).json()

    assert body["results"] == [{"id": str(site.other_organization), "text": "Other"}]


def test_only_signed_in_staff_reach_the_search(client, django_user_model, site):
    assert client.get(SEARCH).status_code == 302  # to the login page

    client.force_login(django_user_model.objects.create_user("visitor"))
    assert client.get(SEARCH).status_code == 302

    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    client.force_login(clerk)
    refused = client.get(SEARCH)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"

    clerk.user_permissions.add(Permission.objects.get(codename="change_device"))
    assert client.get(SEARCH).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "9" * 5000}, "page"),
        ({"term": "x" * 201}, "term"),
        ({"term": "R\x00"}, "term"),
    ],
)
def test_bad_search_input_is_a_400_naming_the_parameter(staff, site, params, field):
    response = staff.get(SEARCH, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_only_reference_fields_of_the_form_can_be_searched(staff, site):
    for name in ("name", "nope", "eui"):
        response = staff.get(f"/admin/devices/device/references/{name}/")
        assert response.status_code == 404, name
        assert response.json()["code"] == "not_found"
    assert staff.post(SEARCH).status_code == 405


# -- the change form -------------------------------------------------------------------------


def selected_option(page: str, name: str) -> tuple[str, str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select for {name}"
    option = re.search(r'<option value="([^"]+)" selected>([^<]*)</option>', select.group(1))
    assert option, select.group(0)
    return option.group(1), option.group(2)


@local_and_rest
def test_the_change_form_shows_each_reference_as_a_select_with_its_label(
    staff, site, device, backend, api_calls
):
    obj = Device.objects.get(uuid=device.uuid)
    api_calls.clear()
    page = staff.get(f"/admin/devices/device/{obj.pk}/change/").content.decode()

    assert selected_option(page, "room") == (str(site.rooms[0]), "HQ / Level 1 / R0")
    assert selected_option(page, "organization") == (str(site.organization), "Acme")
    room_select = re.search(r'<select name="room"[^>]*>', page).group(0)
    assert "admin-autocomplete" in room_select
    assert f'data-ajax--url="{SEARCH}"' in room_select
    assert "admin/js/autocomplete.js" in page
    if backend == "rest":
        # One batch lookup per referenced resource for the whole form, no listing of options.
        assert sorted(api_calls) == ["/api/v1/organizations/lookup", "/api/v1/rooms/lookup"]


def test_the_add_form_offers_empty_selects(staff, site):
    page = staff.get("/admin/devices/device/add/").content.decode()

    select = re.search(r'<select name="room"[^>]*>(.*?)</select>', page, re.S)
    assert select and "admin-autocomplete" in select.group(0)
    assert "<option" not in select.group(1)  # required: nothing to show until searched


def test_a_reference_that_no_longer_exists_shows_its_uuid_as_missing(staff, site, device):
    gone = uuid.uuid4()
    Device.objects.filter(uuid=device.uuid).update(room=gone)
    obj = Device.objects.get(uuid=device.uuid)

    page = staff.get(f"/admin/devices/device/{obj.pk}/change/").content.decode()

    assert selected_option(page, "room") == (str(gone), f"{gone} (missing)")


def test_choosing_another_room_in_the_form_saves_it_through_the_service(staff, site, device):
    obj = Device.objects.get(uuid=device.uuid)
    response = staff.post(
        f"/admin/devices/device/{obj.pk}/change/",
        {
            "eui": obj.eui,
            "name": obj.name,
            "kind": obj.kind,
            "firmware": "",
            "room": str(site.rooms[1]),
            "organization": str(site.organization),
            "_continue": "1",
        },
        follow=True,
    )

    assert response.redirect_chain == [(f"/admin/devices/device/{obj.pk}/change/", 302)]
    assert services.devices.devices.get(device.uuid).room == site.rooms[1]
    page = response.content.decode()
    assert selected_option(page, "room") == (str(site.rooms[1]), "HQ / Level 1 / R1")


def test_the_building_form_selects_its_organization_by_name(staff, site):
    building = Building.objects.get(uuid=site.building)

    page = staff.get(f"/admin/facilities/building/{building.pk}/change/").content.decode()

    assert selected_option(page, "organization") == (str(site.organization), "Acme")


# -- changelists -----------------------------------------------------------------------------


def derived_columns_admin():
    """A changelist admin whose columns name nothing but the reference fields."""
    from domain_services.admin import ReferenceColumn, ReferenceColumnsMixin

    class DeviceColumns(ReferenceColumnsMixin, admin.ModelAdmin):
        reference_columns = [ReferenceColumn("room"), ReferenceColumn("organization")]
        list_display = ("name", "room_name", "organization_name")

    return DeviceColumns(Device, admin.site)


def changelist_rows(model_admin, staff_user, **params):
    request = RequestFactory().get("/admin/devices/device/", params)
    request.user = staff_user
    return list(model_admin.get_changelist_instance(request).result_list)


@local_and_rest
def test_a_reference_column_shows_the_declared_label_with_one_lookup_per_page(
    site, backend, admin_user, api_calls
):
    for n in range(4):
        services.devices.register_device(
            eui=f"70B3D57ED000{n:04X}",
            name=f"D{n}",
            room=site.rooms[n % 2],
            organization=site.organization,
        )
    columns = derived_columns_admin()
    api_calls.clear()

    rows = changelist_rows(columns, admin_user)

    assert [columns.room_name(row) for row in rows] == [
        "HQ / Level 1 / R0",
        "HQ / Level 1 / R1",
        "HQ / Level 1 / R0",
        "HQ / Level 1 / R1",
    ]
    assert {columns.organization_name(row) for row in rows} == {"Acme"}
    if backend == "rest":
        assert sorted(api_calls) == ["/api/v1/organizations/lookup", "/api/v1/rooms/lookup"]


def test_a_reference_column_outside_its_page_is_resolved_for_its_own_row(site, device, admin_user):
    columns = derived_columns_admin()
    assert len(changelist_rows(columns, admin_user)) == 1  # a page with the Boiler only
    other = services.devices.register_device(
        eui="70B3D57ED0005678", name="Valve", room=site.rooms[1], organization=site.organization
    )

    # As a read-only field of the Valve's change form would ask, in the same thread.
    assert columns.room_name(Device.objects.get(uuid=other.uuid)) == "HQ / Level 1 / R1"


def test_a_reference_column_says_unavailable_while_facilities_is_down(
    site, device, admin_user, facilities_down
):
    columns = derived_columns_admin()
    [row] = changelist_rows(columns, admin_user)

    assert columns.room_name(row) == f"{site.rooms[0]} (unavailable)"
    assert columns.organization_name(row) == "Acme"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_editable_references_in_a_changelist_cost_one_lookup_per_page(
    staff, site, remote_neighbours, api_calls, monkeypatch
):
    for n in range(6):
        services.devices.register_device(
            eui=f"70B3D57ED000{n:04X}",
            name=f"D{n}",
            room=site.rooms[n % 2],
            organization=site.organization,
        )
    monkeypatch.setattr(DeviceAdmin, "list_display", ("name", "room"))
    monkeypatch.setattr(DeviceAdmin, "list_editable", ("room",))
    api_calls.clear()

    page = staff.get("/admin/devices/device/").content.decode()

    selects = re.findall(r'<select name="form-\d+-room"[^>]*>', page)
    assert len(selects) == 6 and all("admin-autocomplete" in tag for tag in selects)
    assert page.count(">HQ / Level 1 / R1</option>") == 3
    assert api_calls.count("/api/v1/rooms/lookup") == 1  # for the six selects


# -- a domain that is down -------------------------------------------------------------------


def test_the_change_form_renders_while_facilities_is_down(staff, site, device, facilities_down):
    obj = Device.objects.get(uuid=device.uuid)

    response = staff.get(f"/admin/devices/device/{obj.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    room_input = re.search(r'<input type="text" name="room"[^>]*>', page)
    assert room_input and f'value="{site.rooms[0]}"' in room_input.group(0)
    assert "admin-autocomplete" not in room_input.group(0)
    assert "The facilities domain cannot answer right now" in page
    assert selected_option(page, "organization") == (str(site.organization), "Acme")


def test_the_search_is_a_503_while_facilities_is_down(staff, site, facilities_down):
    response = staff.get(SEARCH, {"term": "R"})

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"]


def test_saving_another_room_while_facilities_is_down_is_a_form_error(
    staff, site, device, facilities_down
):
    obj = Device.objects.get(uuid=device.uuid)
    response = staff.post(
        f"/admin/devices/device/{obj.pk}/change/",
        {
            "eui": obj.eui,
            "name": obj.name,
            "kind": obj.kind,
            "firmware": "",
            "room": str(site.rooms[1]),
            "organization": str(site.organization),
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" in page and "facilities service" in page
    assert Device.objects.get(uuid=device.uuid).room == site.rooms[0]
    # The form comes back with the UUID staff chose, in a box they can still edit, and why.
    room_input = re.search(r'<input type="text" name="room"[^>]*>', page)
    assert room_input and f'value="{site.rooms[1]}"' in room_input.group(0)
    assert "The facilities domain cannot answer right now" in page


# -- deriving the target ---------------------------------------------------------------------


@local_and_rest
def test_the_target_resource_is_derived_from_the_reference_local_and_over_rest(backend):
    target = reference_target(Device._meta.get_field("room"))

    assert (target.domain, target.spec.name) == ("facilities", "rooms")
    assert target.spec is Facilities.rooms


def test_a_reference_whose_domain_has_no_interface_here_stays_a_uuid_box(
    staff, site, device, settings
):
    obj = Device.objects.get(uuid=device.uuid)
    # An entry used only for reference checks: a URL, no INTERFACE.
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "facilities": {"BACKEND": "rest", "URL": "http://127.0.0.1:1", "TOKEN": "t"},
    }

    page = staff.get(f"/admin/devices/device/{obj.pk}/change/").content.decode()

    room_input = re.search(r'<input type="text" name="room"[^>]*>', page)
    assert room_input and f'value="{site.rooms[0]}"' in room_input.group(0)
    assert "The UUID of a facilities.Room; its name cannot be shown" in page
    assert selected_option(page, "organization") == (str(site.organization), "Acme")
    assert staff.get(SEARCH).status_code == 404


class FacilitiesWithoutRooms(Interface, domain="facilities"):
    """An interface that does not say where its rooms are."""

    buildings = Facilities.buildings


def test_a_reference_whose_interface_has_no_resource_for_it_fails_the_admin_check(settings):
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "facilities": {
            "BACKEND": "rest",
            "URL": "http://127.0.0.1:1",
            "TOKEN": "t",
            "INTERFACE": f"{__name__}.FacilitiesWithoutRooms",
        },
    }

    errors = DeviceAdmin(Device, admin.site).check()

    assert {e.id for e in errors} == {"domain_services.E020"}
    room = [e.msg for e in errors if e.msg.startswith("devices.Device.room refers")]
    assert room and "name its DTO RoomDTO" in room[0]
    with pytest.raises(ImproperlyConfigured):
        reference_target(Device._meta.get_field("room"))
