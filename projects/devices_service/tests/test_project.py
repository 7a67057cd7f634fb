"""The devices service on its own, with in-memory users and facilities domains."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command

from domain_services import services
from domain_services.project_settings import DEV_SERVICE_TOKEN
from org_interfaces.facilities import BuildingDTO, RoomDTO
from org_interfaces.fakes import FakeFacilities, FakeUsers
from org_interfaces.users import OrganizationDTO

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEV_SERVICE_TOKEN}"}


@pytest.fixture
def world():
    users, facilities = FakeUsers(), FakeFacilities()
    org = users.organizations.add(OrganizationDTO(uuid.uuid4(), "Acme", "acme"))
    building = facilities.buildings.add(BuildingDTO(uuid.uuid4(), "HQ", "", org.uuid))
    rooms = [
        facilities.rooms.add(
            RoomDTO(uuid.uuid4(), uuid.uuid4(), building.uuid, org.uuid, f"R{n}", f"HQ / 1 / R{n}")
        )
        for n in range(3)
    ]
    with services.overriding(users=users, facilities=facilities):
        yield users, facilities, org, building, rooms


def test_system_checks_pass():
    call_command("check")


def test_the_consumer_and_index_commands_are_installed():
    from django.core.management import get_commands

    commands = get_commands()
    assert commands["mqtt_consume"] == "domain_services.devices"
    assert commands["ensure_indexes"] == "domain_services.integrations.mongodb"


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


@pytest.mark.django_db
def test_register_and_list_a_building_with_one_call_to_facilities(client, world):
    _, facilities, org, building, rooms = world
    for n in range(6):
        created = client.post(
            "/api/v1/devices/",
            {
                "eui": f"{n:016x}",
                "name": f"D{n}",
                "room": str(rooms[n % 3].uuid),
                "organization": str(org.uuid),
            },
            content_type="application/json",
            **AUTH,
        )
        assert created.status_code == 201, created.json()
    facilities.rooms.calls.clear()
    listed = client.get(f"/api/v1/buildings/{building.uuid}/devices", **AUTH)
    assert len(listed.json()) == 6
    assert facilities.rooms.calls == ["rooms_of_building"]
