"""One `MongoClient` per process, created on first use from the `MONGODB` setting.

A MongoClient owns a connection pool and monitor threads, so it is shared by every service and
thread of a process. It is not fork-safe: a gunicorn worker forked from a master that already
connected would share its sockets, so a forked child forgets the parent's client and builds its
own on first use (both through `os.register_at_fork` and a pid check, since a process can also
be forked by code that bypasses the hook, e.g. a C extension).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import ConfigurationError, InvalidURI

from domain_services.integrations.mongodb.settings import SETTING, MongoSettings, parse_settings

_lock = threading.Lock()
_pid: int = 0
_client: MongoClient[dict[str, Any]] | None = None
_settings: MongoSettings | None = None


def mongo_settings() -> MongoSettings:
    """The checked `MONGODB` setting (parsed once, re-read when a test overrides it)."""
    global _settings
    current = _settings
    if current is None:
        current = parse_settings()
        _settings = current
    return current


def get_client() -> MongoClient[dict[str, Any]]:
    """This process's shared client, created on first call."""
    client = _client
    if client is not None and _pid == os.getpid():
        return client
    return _create_client()


def get_database() -> Database[dict[str, Any]]:
    """The configured database (`MONGODB['DATABASE']`) on the shared client."""
    return get_client()[mongo_settings().database]


def reset_client() -> None:
    """Close and forget the shared client and settings; the next use builds new ones (tests)."""
    global _client, _settings, _pid
    with _lock:
        client, _client, _settings, _pid = _client, None, None, 0
    if client is not None:
        client.close()


def _create_client() -> MongoClient[dict[str, Any]]:
    global _client, _pid
    with _lock:
        # Another thread may have built it while this one waited for the lock.
        if _client is not None and _pid == os.getpid():
            return _client
        config = mongo_settings()
        try:
            client: MongoClient[dict[str, Any]] = MongoClient(
                config.url, **dict(config.client_options)
            )
        except InvalidURI as exc:
            raise ImproperlyConfigured(
                f"{SETTING}['URL'] is not a valid MongoDB URL ({config.redacted_url}): {exc}"
            ) from exc
        except (ConfigurationError, TypeError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"{SETTING}['OPTIONS'] or {SETTING}['URL'] is invalid for pymongo: {exc}"
            ) from exc
        _client, _pid = client, os.getpid()
        return client


def _forget_after_fork() -> None:
    # Runs in the child only. The parent's client still belongs to the parent: closing it here
    # would close sockets the parent uses, so the child drops the reference. The lock may have
    # been held by a thread that does not exist in the child, so it is replaced too.
    global _client, _pid, _lock
    _client, _pid, _lock = None, 0, threading.Lock()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        reset_client()


os.register_at_fork(after_in_child=_forget_after_fork)
setting_changed.connect(_on_setting_changed, dispatch_uid="domain_services.mongodb.client")
