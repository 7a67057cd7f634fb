"""`manage.py ensure_indexes`: every registered service's indexes, idempotently, TTL included."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any, ClassVar

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from pymongo import IndexModel, MongoClient

from domain_services.integrations.mongodb import BaseMongoDBService, reset_client
from domain_services.integrations.mongodb.management.commands.ensure_indexes import Command

pytestmark = pytest.mark.wire


class Sessions(BaseMongoDBService):
    collection_name = "cmd_sessions"
    indexes: ClassVar[list[IndexModel]] = [
        IndexModel("expires_at", name="expires_ttl", expireAfterSeconds=0),
        IndexModel("user", name="by_user"),
    ]


@pytest.fixture
def database(settings: Any, mongo_client: MongoClient[Any], mongodb_url: str) -> Iterator[Any]:
    settings.MONGODB = {"URL": mongodb_url, "DATABASE": "cmd_tests"}
    reset_client()
    yield mongo_client["cmd_tests"]
    mongo_client.drop_database("cmd_tests")
    reset_client()


def run(*args: str) -> str:
    out = StringIO()
    call_command(Command(), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_creates_declared_indexes_including_ttl(database: Any) -> None:
    output = run("--collection", "cmd_sessions")

    info = database["cmd_sessions"].index_information()
    by_key = {tuple(spec["key"]): spec for spec in info.values()}
    assert by_key[(("expires_at", 1),)]["expireAfterSeconds"] == 0
    assert (("user", 1),) in by_key
    assert "cmd_sessions" in output


def test_running_it_again_changes_nothing(database: Any) -> None:
    run("--collection", "cmd_sessions")
    before = database["cmd_sessions"].index_information()

    run("--collection", "cmd_sessions")

    assert database["cmd_sessions"].index_information() == before


def test_list_shows_declared_indexes_without_creating_them(database: Any) -> None:
    output = run("--collection", "cmd_sessions", "--list")

    assert "expires_ttl, by_user" in output
    assert "cmd_sessions" not in database.list_collection_names()


def test_without_a_filter_every_registered_service_is_indexed(database: Any) -> None:
    import domain_services.devices.status_store  # noqa: F401  # registers on import, like an app's

    output = run()

    assert "cmd_sessions: expires_ttl, by_user" in output
    assert "device_status: (no indexes declared)" in output


def test_an_unknown_collection_is_an_error(database: Any) -> None:
    with pytest.raises(CommandError, match="nope"):
        run("--collection", "nope")


def test_the_command_is_found_when_the_app_is_installed(database: Any) -> None:
    from django.conf import settings

    apps = [*settings.INSTALLED_APPS, "domain_services.integrations.mongodb"]
    with override_settings(INSTALLED_APPS=apps):
        out = StringIO()
        call_command("ensure_indexes", "--collection", "cmd_sessions", stdout=out)
    assert "cmd_sessions" in out.getvalue()
