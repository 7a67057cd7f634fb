"""A real Mosquitto broker for tests: the `mosquitto` binary on a free loopback port.

Each broker gets its own temporary config and data directory with persistence on, so a test can
`stop()` and `start()` it on the same port and find its sessions and queued messages again.
`MQTT_URL` in the environment replaces the shared `mqtt_url` broker (not the restartable ones).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain_services.testing.network import free_port

INSTALL_HINT = (
    "The `mosquitto` binary is needed for MQTT tests: install it with "
    "`apt-get install mosquitto` (or `brew install mosquitto`), or set MQTT_URL to a broker."
)


class MosquittoBroker:
    """One throwaway Mosquitto process; `url` is its `mqtt://127.0.0.1:<port>`.

    The config is production-shaped where it matters to tests: persistence on (saved at every
    shutdown), a queue large enough for a consumer outage, and an in-flight window wider than a
    consumer batch, because Mosquitto's defaults (1000 queued, 20 in flight, nothing on disk)
    silently drop or stall QoS 1 streams.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        extra_config: str = "",
        binary: str | None = None,
        max_inflight_messages: int = 2000,
        template: str | None = None,
    ) -> None:
        found = binary or shutil.which("mosquitto") or _sbin("mosquitto")
        if not found:
            raise RuntimeError(INSTALL_HINT)
        self.binary = found
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.extra_config = extra_config
        self.max_inflight_messages = max_inflight_messages
        # A whole config instead of the default one; `@PORT@` and `@DATA_DIR@` are filled in.
        self.template = template
        self._dir = Path(tempfile.mkdtemp(prefix="mosquitto-test-"))
        self.data_dir = self._dir / "data"
        self.data_dir.mkdir()
        self.log_path = self._dir / "mosquitto.log"
        self.config_path = self._dir / "mosquitto.conf"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def write_config(self) -> None:
        if self.template is not None:
            text = self.template.replace("@PORT@", str(self.port))
            text = text.replace("@DATA_DIR@", str(self.data_dir))
            lines = [text]
        else:
            lines = self._default_lines()
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Run as root, Mosquitto drops to the `mosquitto` user, who cannot write our
            # temporary data directory.
            lines.append("user root")
        if self.extra_config:
            lines.append(self.extra_config)
        self.config_path.write_text("\n".join(lines) + "\n")

    def _default_lines(self) -> list[str]:
        return [
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.data_dir}/",
            # 0 = no limit; a test stream must never be dropped by the queue.
            "max_queued_messages 0",
            f"max_inflight_messages {self.max_inflight_messages}",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]

    def start(self, *, timeout: float = 10.0) -> MosquittoBroker:
        """Start (or restart) the broker on the same port and wait until it accepts TCP."""
        if self.running:
            return self
        self.write_config()
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [self.binary, "-c", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"mosquitto exited with code {self._process.returncode}: {self.log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.01)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on port {self.port}: {self.log_tail()}")

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM): Mosquitto writes its persistence file on the way out."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Stop abruptly (SIGKILL): whatever was not yet saved is lost, as in a crash."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


def _sbin(name: str) -> str | None:
    for folder in ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"):
        path = Path(folder) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


@pytest.fixture
def mosquitto() -> Iterator[MosquittoBroker]:
    """A broker of this test's own, which the test may stop, kill and start again."""
    try:
        broker = MosquittoBroker()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with broker:
        yield broker


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """`MQTT_URL` when set, else a Mosquitto started once for the whole session."""
    if os.environ.get("MQTT_URL"):
        yield os.environ["MQTT_URL"]
        return
    try:
        broker = MosquittoBroker()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with broker:
        yield broker.url


@pytest.fixture
def mqtt_broker(mosquitto: MosquittoBroker) -> MosquittoBroker:
    """Alias of `mosquitto`, the name the issue uses."""
    return mosquitto
