"""Running `relay_events` and `consume_events` as real processes against a real broker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction

from domain_services import events

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], *, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(0.05)


class Process:
    """One `manage.py <command>` process, its output appended to `log`."""

    def __init__(self, command: str, env: dict[str, str], log: Path, *args: str) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.args = args
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "django", self.command, *self.args,
                 "--settings", "tests.events.process_settings"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, and the exit status."""
        if self.popen is None:
            return 0
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)
        raise AssertionError(f"{self.command} did not stop on SIGTERM:\n{self.text()[-3000:]}")

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def process_env(mqtt_url: str, **extra: str) -> dict[str, str]:
    """The environment of a relay or consumer process on this test's database and broker."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MQTT_URL": mqtt_url}
    env["TEST_EVENTS_DATABASE"] = connection.settings_dict["NAME"]
    env.setdefault("TEST_CONSUMER_ID", f"events-test-{uuid.uuid4().hex[:8]}")
    env.update(extra)
    return env


def write_entries(count: int, *, per_transaction: int = 100, rate: float = 0) -> list[uuid.UUID]:
    """Announce `count` ledger entries as created, in transactions of `per_transaction`."""
    ids = []
    started = time.monotonic()
    for start in range(0, count, per_transaction):
        batch = [
            events.ObjectCreated("ledger.Entry", uuid.uuid4(), data={"n": n})
            for n in range(start, min(count, start + per_transaction))
        ]
        with transaction.atomic():
            events.publish_many(batch)
        ids += [event.id for event in batch]
        if rate:
            ahead = (start + per_transaction) / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    return ids


def counters(text: str, prefix: str) -> dict[str, int]:
    """The last `<prefix>: key=value ...` counters line of a log."""
    lines = [line for line in text.splitlines() if prefix in line]
    if not lines:
        return {}
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\b", lines[-1])}
