"""Which MongoDB database the devices service (and so its ingestion consumer) writes to."""

from __future__ import annotations

import pytest
from django.test import override_settings

from domain_services.integrations.mongodb.settings import parse_settings
from domain_services.project_settings import device_integration_settings


def configured_database(monkeypatch: pytest.MonkeyPatch, **environ: str) -> str:
    """The database the library resolves from a devices project's settings and `environ`."""
    for name in ("MONGODB_URL", "MONGODB_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with override_settings(MONGODB=device_integration_settings()["MONGODB"]):
        return parse_settings().database


def test_the_database_in_mongodb_url_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "mongodb://ingest:secret@db1,db2:27017/fleet_a?replicaSet=rs0"
    assert configured_database(monkeypatch, MONGODB_URL=url) == "fleet_a"


def test_mongodb_database_names_it_whatever_the_url_says(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "mongodb://127.0.0.1:27017/fleet_a"
    assert configured_database(monkeypatch, MONGODB_URL=url, MONGODB_DATABASE="fleet_b") == (
        "fleet_b"
    )


@pytest.mark.parametrize("url", [None, "mongodb://127.0.0.1:27017", "mongodb://h/?tls=true"])
def test_without_a_path_the_database_is_devices(
    monkeypatch: pytest.MonkeyPatch, url: str | None
) -> None:
    environ = {"MONGODB_URL": url} if url else {}
    assert configured_database(monkeypatch, **environ) == "devices"
