"""Driver errors come out as the library's errors; an outage is `Unavailable`, then recovers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bson.errors import InvalidDocument
from pymongo import MongoClient
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from domain_services.errors import Conflict, DomainError, Unavailable, ValidationFailed
from domain_services.integrations.mongodb import BaseMongoDBService, reset_client
from domain_services.integrations.mongodb.errors import translate_errors
from domain_services.testing.mongodb import MongoWireServer


class Notes(BaseMongoDBService):
    collection_name = "notes"


@pytest.mark.parametrize(
    "exc",
    [
        ServerSelectionTimeoutError("no servers"),
        AutoReconnect("connection closed"),
        NetworkTimeout("timed out"),
        OperationFailure("not primary", code=10107),
    ],
)
def test_connection_and_timeout_problems_are_unavailable(exc: Exception) -> None:
    expected = pytest.raises(Unavailable, match="MongoDB at db1:27017 is unavailable")
    with expected, translate_errors("db1:27017"):
        raise exc


def test_a_duplicate_key_is_a_conflict_with_the_key() -> None:
    exc = DuplicateKeyError("E11000", code=11000, details={"keyValue": {"_id": "A"}})

    with pytest.raises(Conflict) as info, translate_errors():
        raise exc
    assert info.value.context["key"] == {"_id": "A"}


def test_a_document_bson_cannot_encode_is_invalid() -> None:
    with pytest.raises(ValidationFailed), translate_errors():
        raise InvalidDocument("cannot encode object: {1}")


def test_any_other_driver_error_is_a_domain_error_not_a_pymongo_one() -> None:
    with pytest.raises(DomainError, match="refused the operation: bad"), translate_errors():
        raise OperationFailure("bad", code=2)


@pytest.fixture
def outage_server() -> Iterator[MongoWireServer]:
    with MongoWireServer() as server:
        yield server


@pytest.fixture
def notes_on(settings: Any, outage_server: MongoWireServer) -> Iterator[Notes]:
    url = outage_server.url.replace("mongodb://", "mongodb://app:hunter2@")
    settings.MONGODB = {
        "URL": url,
        "DATABASE": "outage",
        # No authSource dance: nx-27017 ignores credentials, which is what lets the URL carry a
        # password to prove it never reaches a message.
        "OPTIONS": {"serverSelectionTimeoutMS": 300, "connectTimeoutMS": 300},
    }
    reset_client()
    yield Notes()
    reset_client()


@pytest.mark.wire
def test_a_stopped_server_is_unavailable_and_the_service_recovers_when_it_returns(
    outage_server: MongoWireServer,
) -> None:
    with MongoClient(outage_server.url, serverSelectionTimeoutMS=300, tz_aware=True) as client:
        notes = Notes(database=client["outage"])
        notes.update("n1", {"text": "before"})

        outage_server.stop()
        with pytest.raises(Unavailable, match=f"127.0.0.1:{outage_server.port}"):
            notes.get("n1")
        with pytest.raises(Unavailable):
            notes.ping()

        outage_server.start()
        assert notes.get("n1") == {"_id": "n1", "text": "before"}


@pytest.mark.wire
def test_an_unavailable_message_never_shows_the_password(
    notes_on: Notes, outage_server: MongoWireServer
) -> None:
    outage_server.stop()

    with pytest.raises(Unavailable) as info:
        notes_on.count()

    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(info.value.as_dict())
    assert f"127.0.0.1:{outage_server.port}" in str(info.value)
