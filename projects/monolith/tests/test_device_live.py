"""Live status (MongoDB wire server) and commands (Mosquitto) in the devices API and admin."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from devices import live
from domain_services import services
from domain_services.project_settings import DEV_SERVICE_TOKEN
from domain_services.testing.network import free_port
from tests.conftest import reset_live

pytestmark = pytest.mark.django_db(databases="__all__")
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEV_SERVICE_TOKEN}"}


@pytest.fixture
def reported(device):
    live.status_store().update(
        device.eui, timestamp=datetime.now(UTC) - timedelta(seconds=5), battery=87, firmware="2.0"
    )
    return device


def test_status_endpoint_returns_the_stored_status(client, reported):
    response = client.get(f"/api/v1/devices/{reported.uuid}/status", **AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["eui"] == reported.eui and body["online"] is True
    assert body["fields"]["battery"] == 87


def test_a_device_that_never_reported_has_no_status(client, device):
    assert client.get(f"/api/v1/devices/{device.uuid}/status", **AUTH).status_code == 404
    detail = client.get(f"/api/v1/devices/{device.uuid}", **AUTH).json()
    assert detail["status"] is None and detail["eui"] == device.eui


def test_detail_includes_the_live_status(client, reported):
    detail = client.get(f"/api/v1/devices/{reported.uuid}", **AUTH).json()
    assert detail["status"]["fields"]["firmware"] == "2.0"


def test_the_list_includes_statuses_with_one_query_per_page(client, reported, monkeypatch):
    calls = []
    original = live.status_store().get_many
    monkeypatch.setattr(
        live.status_store(), "get_many", lambda euis: calls.append(list(euis)) or original(euis)
    )
    page = client.get("/api/v1/devices/?include=status", **AUTH).json()
    assert page["results"][0]["status"]["fields"]["battery"] == 87
    assert len(calls) == 1
    plain = client.get("/api/v1/devices/", **AUTH).json()
    assert "status" not in plain["results"][0] and len(calls) == 1
    bad = client.get("/api/v1/devices/?include=everything", **AUTH)
    assert bad.status_code == 400 and "include" in bad.json()["errors"]


def test_mongodb_down_is_503_on_status_and_a_note_on_the_detail(client, device, settings):
    settings.MONGODB = {
        "URL": f"mongodb://127.0.0.1:{free_port()}",
        "DATABASE": "x",
        "OPTIONS": {"serverSelectionTimeoutMS": 300},
    }
    reset_live()
    response = client.get(f"/api/v1/devices/{device.uuid}/status", **AUTH)
    assert response.status_code == 503 and response.json()["code"] == "unavailable"
    detail = client.get(f"/api/v1/devices/{device.uuid}", **AUTH)
    assert detail.status_code == 200 and detail.json()["status_error"]


def test_a_command_is_published_to_the_device(client, device, command_inbox):
    response = client.post(
        f"/api/v1/devices/{device.uuid}/commands",
        {"command": "reboot", "args": {"delay": 5}},
        content_type="application/json",
        **AUTH,
    )
    assert response.status_code == 202
    sent = response.json()
    topic, payload = command_inbox.get(timeout=5)
    assert topic == f"devices/{device.eui}/commands"
    body = json.loads(payload)
    assert body["command_id"] == sent["command_id"]
    assert (body["command"], body["args"]) == ("reboot", {"delay": 5})


@pytest.mark.parametrize("body", [{"command": "rm -rf"}, {"command": "x", "args": [1]}, {}])
def test_a_bad_command_is_400_and_nothing_is_sent(client, device, command_inbox, body):
    response = client.post(
        f"/api/v1/devices/{device.uuid}/commands", body, content_type="application/json", **AUTH
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) & {"command", "args"}
    assert command_inbox.empty()


def test_a_broker_that_is_down_is_503(client, device, settings):
    settings.MQTT = {
        **settings.MQTT,
        "URL": f"mqtt://127.0.0.1:{free_port()}",
        "CONNECT_TIMEOUT": 1,
    }
    reset_live()
    response = client.post(
        f"/api/v1/devices/{device.uuid}/commands",
        {"command": "ping"},
        content_type="application/json",
        **AUTH,
    )
    assert response.status_code == 503


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client


def test_the_changelist_shows_online_and_never_reported(staff, reported, make_site):
    other = make_site("b")
    services.devices.register_device(
        eui="70B3D57ED0009999", name="Quiet", room=other.rooms[0], organization=other.organization
    )
    page = staff.get("/admin/devices/device/").content.decode()
    assert "online, last seen" in page
    assert "never reported" in page


def test_the_device_page_shows_the_status_panel(staff, reported):
    from devices.models import Device

    device_pk = Device.objects.get(uuid=reported.uuid).pk
    page = staff.get(f"/admin/devices/device/{device_pk}/change/").content.decode()
    assert "<th>battery</th><td>87</td>" in page


def test_the_admin_action_sends_a_command(staff, device, command_inbox):
    from devices.models import Device

    pk = Device.objects.get(uuid=device.uuid).pk
    form = staff.post(
        "/admin/devices/device/", {"action": "send_command", ACTION_CHECKBOX_NAME: [pk]}
    )
    assert form.status_code == 200 and b"Send a command" in form.content
    done = staff.post(
        "/admin/devices/device/",
        {
            "action": "send_command",
            ACTION_CHECKBOX_NAME: [pk],
            "apply": "1",
            "command": "ping",
            "args": "{}",
        },
        follow=True,
    )
    assert b"Sent &#x27;ping&#x27; to 1 device(s)." in done.content
    topic, _ = command_inbox.get(timeout=5)
    assert topic == f"devices/{device.eui}/commands"
