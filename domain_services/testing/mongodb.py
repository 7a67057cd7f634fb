"""MongoDB for tests: a wire-protocol server on a free loopback port, and pytest fixtures.

`MongoWireServer` runs `nx-27017` (a MongoDB wire-protocol server from PyPI) with its data in a
temporary directory, so a test can stop it and start it again on the same port with the same data
to simulate an outage. The fixtures use a real MongoDB instead when `MONGODB_URL` is set.

Fixtures: `mongodb_url` (session), `mongo_client` (session), `mongo_database` (a fresh, uniquely
named database, dropped afterwards), `fake_mongo_database` (mongomock-ng, in-process) and
`any_mongo_database` (runs a test once on each).

The module loads without pymongo: the fixtures that need it (all but the server itself) fail
when used, with an ImportError naming `pip install django-domain-services[mongodb]`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest

from domain_services._optional import require_extra
from domain_services.testing.network import accepts, free_port

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.database import Database

EXECUTABLE = "nx-27017"
INSTALL_HINT = "pip install nx-27017 (it is in the [dev] extra), or set MONGODB_URL"


class MongoWireServer:
    """An `nx-27017` process on 127.0.0.1 with its own port, log, pid file and data directory."""

    def __init__(self, *, port: int | None = None, executable: str | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.executable = executable or _find_executable()
        self._tmp = Path(tempfile.mkdtemp(prefix="ds-mongo-"))
        self.data_dir = self._tmp / "data"
        self.data_dir.mkdir()
        self.log_file = self._tmp / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The `mongodb://` URL of this server."""
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = 10.0) -> None:
        """Start the server (again, on the same port and data) and wait until it accepts."""
        if self.running:
            return
        # --data-dir keeps one file per logical database: with a single --db file, nx-27017
        # lets every database see the same collections, which would break test isolation.
        command = [
            self.executable,
            "--data-dir",
            str(self.data_dir),
            "--host",
            self.host,
            "-p",
            str(self.port),
            "--log-file",
            str(self.log_file),
            "--pid-file",
            str(self._tmp / "server.pid"),
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self._tmp
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.executable} exited with {self._process.returncode}; "
                    f"log:\n{self._log_tail()}"
                )
            if accepts(self.host, self.port):
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(
            f"{self.executable} did not listen on {self.host}:{self.port} within {timeout}s; "
            f"log:\n{self._log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server; its data directory is kept for a later `start()`."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def close(self) -> None:
        """Stop the server and delete its data, log and pid file."""
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> MongoWireServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"


def _find_executable() -> str:
    # Next to the running interpreter first: a virtualenv's bin/ is often not on PATH.
    candidates = [Path(sys.executable).parent / EXECUTABLE]
    found = shutil.which(EXECUTABLE)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise RuntimeError(f"The {EXECUTABLE!r} executable was not found; {INSTALL_HINT}.")


def wire_client(url: str) -> MongoClient[dict[str, Any]]:
    """A client with the library's defaults (aware datetimes, short server selection)."""
    pymongo = require_extra("pymongo", extra="mongodb")
    client: MongoClient[dict[str, Any]] = pymongo.MongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    return client


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """`MONGODB_URL` when set, otherwise the URL of an nx-27017 server run for the session."""
    require_extra("pymongo", extra="mongodb")
    url = os.environ.get("MONGODB_URL")
    if url:
        yield url
        return
    server = MongoWireServer()
    try:
        server.start()
        yield server.url
    finally:
        server.close()


@pytest.fixture(scope="session")
def mongo_client(mongodb_url: str) -> Iterator[MongoClient[dict[str, Any]]]:
    """A pymongo client on `mongodb_url`, shared by the session."""
    client = wire_client(mongodb_url)
    yield client
    client.close()


@pytest.fixture
def mongo_database(mongo_client: MongoClient[dict[str, Any]]) -> Iterator[Database[Any]]:
    """A fresh, uniquely named database on the wire server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    yield mongo_client[name]
    mongo_client.drop_database(name)


@pytest.fixture
def fake_mongo_database() -> Database[Any]:
    """A fresh in-process fake database (mongomock-ng): fast, for small logic tests only."""
    require_extra("pymongo", extra="mongodb")
    try:
        import mongomock_ng
    except ImportError as exc:
        raise ImportError(
            "fake_mongo_database needs mongomock-ng: `pip install mongomock-ng` "
            "(it is in the [dev] extra)."
        ) from exc

    client: Any = mongomock_ng.MongoClient(tz_aware=True)
    database: Database[Any] = client[f"test_{uuid.uuid4().hex[:16]}"]
    return database


@pytest.fixture(params=["fake", pytest.param("wire", marks=pytest.mark.wire)])
def any_mongo_database(request: pytest.FixtureRequest) -> Database[Any]:
    """The same test on the fake and on the wire server."""
    fixture = "fake_mongo_database" if request.param == "fake" else "mongo_database"
    database: Database[Any] = request.getfixturevalue(fixture)
    return database
