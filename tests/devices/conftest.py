"""Shared fixtures for the device services' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.database import Database

from domain_services.devices.status_store import DeviceMongoDBService

EUI = "70B3D57ED0001234"
T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A store clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(seconds=1))


@pytest.fixture
def store(any_mongo_database: Database[Any], clock: Clock) -> DeviceMongoDBService:
    return DeviceMongoDBService(database=any_mongo_database, online_window=300, clock=clock)
