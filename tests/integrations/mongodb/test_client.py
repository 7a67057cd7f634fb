"""One MongoClient per process: lazy, shared by threads, rebuilt after a fork or a reset."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services.integrations.mongodb import client as client_module
from domain_services.integrations.mongodb.client import (
    get_client,
    get_database,
    mongo_settings,
    reset_client,
)


@pytest.fixture(autouse=True)
def configured(settings: Any, mongodb_url: str) -> Iterator[None]:
    settings.MONGODB = {"URL": mongodb_url, "DATABASE": "client_tests"}
    reset_client()
    yield
    reset_client()


def test_no_client_exists_before_first_use() -> None:
    assert client_module._client is None


def test_every_call_returns_the_same_client() -> None:
    assert get_client() is get_client()
    assert get_database().name == "client_tests"


def test_threads_racing_to_create_the_client_share_one() -> None:
    seen: list[Any] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        barrier.wait()
        seen.append(get_client())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(seen) == 8
    assert len({id(client) for client in seen}) == 1


def test_reset_client_builds_a_new_one_next_time() -> None:
    first = get_client()
    reset_client()

    assert get_client() is not first


def test_changing_the_setting_rebuilds_settings_and_client(settings: Any) -> None:
    first = get_client()
    settings.MONGODB = {"URL": "mongodb://127.0.0.1:1/", "DATABASE": "other"}

    assert mongo_settings().database == "other"
    assert get_client() is not first


@pytest.mark.wire
def test_a_forked_child_builds_its_own_working_client() -> None:
    parent = get_client()
    parent.admin.command("ping")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports through the pipe and exits without running pytest's teardown
        try:
            child = get_client()
            child.admin.command("ping")
            os.write(write, b"new" if child is not parent else b"same")
        except BaseException as exc:
            os.write(write, f"error {exc!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1000).decode()
    os.waitpid(pid, 0)
    os.close(read)

    assert answer == "new"
    assert get_client() is parent  # the parent keeps its own


def test_a_pid_change_without_the_fork_hook_is_also_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = get_client()
    monkeypatch.setattr(client_module, "_pid", -1)

    assert get_client() is not first


def test_options_pymongo_refuses_raise_improperly_configured(settings: Any) -> None:
    settings.MONGODB = {
        "URL": "mongodb://127.0.0.1:1/",
        "DATABASE": "d",
        "OPTIONS": {"serverSelectionTimeoutMS": "soon"},
    }

    with pytest.raises(ImproperlyConfigured, match=r"MONGODB\['OPTIONS'\]"):
        get_client()
