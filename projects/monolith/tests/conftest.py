"""Fixtures of the monolith's tests: sites across domains, neighbours over REST (the plugin's
`serve_over_rest`), API call recording, and the real MongoDB and Mosquitto for live status."""

from __future__ import annotations

import queue
import uuid
from types import SimpleNamespace

import paho.mqtt.client as paho
import pytest

from devices import live
from domain_services import services
from domain_services.integrations.mongodb.client import reset_client
from domain_services.testing.mongodb import wire_client
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users


@pytest.fixture(autouse=True)
def fresh_registry():
    services.clear()
    yield
    services.clear()


@pytest.fixture
def make_site():
    def make(prefix: str = "") -> SimpleNamespace:
        users, facilities = services.users, services.facilities
        org = users.organizations.create(name=f"{prefix}Acme", slug=f"{prefix}acme".lower())
        other = users.organizations.create(name=f"{prefix}Other", slug=f"{prefix}other".lower())
        building = facilities.buildings.create(name=f"{prefix}HQ", organization=org.uuid)
        floor = facilities.floors.create(building=building.uuid, level=1)
        rooms = [facilities.rooms.create(floor=floor.uuid, name=f"R{n}").uuid for n in range(2)]
        foreign = facilities.buildings.create(name=f"{prefix}Elsewhere", organization=other.uuid)
        foreign_floor = facilities.floors.create(building=foreign.uuid, level=1)
        foreign_room = facilities.rooms.create(floor=foreign_floor.uuid, name="X1").uuid
        return SimpleNamespace(
            organization=org.uuid,
            other_organization=other.uuid,
            building=building.uuid,
            floor=floor.uuid,
            rooms=rooms,
            foreign_room=foreign_room,
        )

    return make


@pytest.fixture
def remote_neighbours(serve_over_rest):
    """Users and facilities over REST (this same code on the live server); devices local.

    Only this test's context sees the REST clients: the live server keeps serving its
    domains locally, as the owning projects would.
    """
    serve_over_rest(Users)
    serve_over_rest(Facilities)


@pytest.fixture
def api_calls():
    """Paths of every API request this process serves (the live server runs in a thread)."""
    from django.core.signals import request_started

    seen: list[str] = []

    def record(sender, environ, **kwargs):
        if environ.get("PATH_INFO", "").startswith("/api/"):
            seen.append(environ["PATH_INFO"])

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)


# -- live status and commands: the MongoDB wire server and Mosquitto --------------------------


def reset_live():
    live.status_store.cache_clear()
    live.command_service.cache_clear()
    reset_client()


@pytest.fixture
def real_components(settings, mongodb_url, mqtt_url):
    database = f"live_{uuid.uuid4().hex[:8]}"
    settings.MONGODB = {"URL": mongodb_url, "DATABASE": database}
    settings.MQTT = {**settings.MQTT, "URL": mqtt_url}
    reset_live()
    yield
    reset_live()
    client = wire_client(mongodb_url)
    client.drop_database(database)
    client.close()


@pytest.fixture
def device(make_site, real_components):
    site = make_site()
    return services.devices.register_device(
        eui="70B3D57ED0001234", name="Boiler", room=site.rooms[0], organization=site.organization
    )


@pytest.fixture
def command_inbox(mqtt_url):
    host, port = mqtt_url.removeprefix("mqtt://").split(":")
    inbox: queue.Queue = queue.Queue()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"inbox-{uuid.uuid4().hex}")
    client.on_message = lambda c, u, message: inbox.put((message.topic, message.payload))
    subscribed = queue.Queue()
    client.on_subscribe = lambda *args: subscribed.put(True)
    client.connect(host, int(port))
    client.subscribe("devices/+/commands", qos=1)
    client.loop_start()
    subscribed.get(timeout=5)
    yield inbox
    client.loop_stop()
    client.disconnect()
