"""Live device status (MongoDB) and commands (MQTT), one connection of each per process."""

from __future__ import annotations

import threading
from functools import cache

from domain_services.devices.commands import DeviceCommandService
from domain_services.devices.status_store import DeviceMongoDBService
from domain_services.integrations.rest.server.health import register_health_check

_lock = threading.Lock()


@cache
def status_store() -> DeviceMongoDBService:
    """The status store; its MongoClient is shared per process by the library."""
    return DeviceMongoDBService()


@cache
def command_service() -> DeviceCommandService:
    """The command publisher; it connects to the broker on first use."""
    with _lock:
        return DeviceCommandService()


def mongodb_health() -> dict[str, str]:
    status_store().ping()
    return {"status": "ok"}


def register_health_checks() -> None:
    register_health_check("mongodb", mongodb_health)
