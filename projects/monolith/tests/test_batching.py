"""References are resolved per page, never per row: 500 devices cost what 5 cost."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from devices.admin import DeviceAdmin
from devices.models import Device
from domain_services import services

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def register(site, count, start=0):
    # Straight to the table: this is about reading lists, and it keeps the test fast.
    Device.objects.bulk_create(
        Device(
            eui=f"{n:016X}",
            name=f"Device {n}",
            room=site.rooms[n % 2],
            organization=site.organization,
        )
        for n in range(start, start + count)
    )


def changelist_cost(client, api_calls):
    api_calls.clear()
    contexts = {alias: CaptureQueriesContext(connections[alias]) for alias in connections}
    for context in contexts.values():
        context.__enter__()
    try:
        response = client.get("/admin/devices/device/?all=")
    finally:
        for context in contexts.values():
            context.__exit__(None, None, None)
    assert response.status_code == 200
    queries = {alias: len(context) for alias, context in contexts.items()}
    return response, queries, sorted(api_calls)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def show_all(monkeypatch):
    monkeypatch.setattr(DeviceAdmin, "list_max_show_all", 1000)


def test_a_changelist_of_500_costs_the_same_queries_and_calls_as_5(
    make_site, remote_neighbours, staff_client, api_calls, show_all
):
    small_site, big_site = make_site("small"), make_site("big")
    register(small_site, 5)
    _, small_queries, small_calls = changelist_cost(staff_client, api_calls)

    register(big_site, 495, start=5)
    response, big_queries, big_calls = changelist_cost(staff_client, api_calls)

    assert response.content.count(b'class="field-room_name"') == 500
    assert b">bigHQ / Level 1 / R1<" in response.content  # rooms show their full label
    assert big_queries == small_queries
    assert big_calls == small_calls
    # One batch lookup per remote reference column; rooms come from the devices read model.
    assert big_calls == ["/api/v1/organizations/lookup"]


def test_devices_for_building_costs_one_call_and_one_query(make_site, remote_neighbours, api_calls):
    site = make_site()
    register(site, 40)
    api_calls.clear()
    with CaptureQueriesContext(connections["devices"]) as queries:
        found = services.devices.devices_for_building(building_uuid=site.building)
    assert len(found) == 40
    assert len(queries) == 1
    assert api_calls == [f"/api/v1/buildings/{site.building}/rooms"]
