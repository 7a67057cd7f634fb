"""Fixtures of the portal's tests: the domains seeded, their live status store, REST."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain_services import services
from domain_services.devices.status_store import DeviceMongoDBService
from domain_services.integrations.mongodb.client import reset_client
from domain_services.testing.mongodb import wire_client
from org_interfaces.devices import Devices
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    services.clear()
    yield
    services.clear()


def reset_live() -> None:
    from devices import live

    live.status_store.cache_clear()
    live.command_service.cache_clear()
    reset_client()


@pytest.fixture
def status_store(settings: Any, mongodb_url: str) -> Iterator[Callable[..., DeviceMongoDBService]]:
    """A MongoDB database of its own for the devices domain's live status; makes stores on it."""
    database = f"portal_{uuid.uuid4().hex[:8]}"
    settings.MONGODB = {"URL": mongodb_url, "DATABASE": database}
    reset_live()
    yield lambda **options: DeviceMongoDBService(**options)
    reset_live()
    client = wire_client(mongodb_url)
    client.drop_database(database)
    client.close()


def a_moment_ago() -> datetime:
    """When the online devices of the data set last reported: well inside the online window."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)


@pytest.fixture
def over_rest(serve_over_rest: Any) -> None:
    """The portal calls the three domains over HTTP (the live server serves them)."""
    for interface in (Users, Facilities, Devices):
        serve_over_rest(interface)


@pytest.fixture
def api_calls() -> Iterator[list[str]]:
    """The method and path of every API request the live server receives."""
    from django.core.signals import request_started

    seen: list[str] = []

    def record(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        if environ.get("PATH_INFO", "").startswith("/api/"):
            seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)
