"""`manage.py mqtt_consume` killed with SIGKILL during a 20,000-message stream loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database

from domain_services.testing.mqtt import MosquittoBroker
from tests.devices.mqtt_harness import Publisher, eui, status, stored, wait_for, wait_subscribed

pytestmark = [pytest.mark.broker, pytest.mark.wire, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEVICES = 16_000
UPDATES = 4_000  # the first 4,000 devices get a second, newer status


def start_consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "mqtt_consume",
                "--settings",
                "tests.devices.consumer_settings",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_sigkill_during_a_stream_loses_nothing(
    mosquitto: MosquittoBroker, mongodb_url: str, mongo_database: Database[Any], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "MQTT_URL": mosquitto.url,
        "MONGODB_URL": mongodb_url,
        "TEST_MONGODB_DATABASE": mongo_database.name,
        "TEST_MQTT_CLIENT_ID": f"sigkill-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "consumer.log"
    process = start_consumer(env, log)
    wait_subscribed(mosquitto.url, mongo_database, timeout=30)

    messages = [
        (f"devices/{eui(n)}/status", status(n, seconds=n, readings={"seq": n}))
        for n in range(DEVICES)
    ] + [
        (f"devices/{eui(n)}/status", status(n, seconds=10**6 + n, readings={"seq": -n}))
        for n in range(UPDATES)
    ]
    publisher = Publisher(mosquitto.url)
    sender = threading.Thread(target=publisher.publish, args=(messages,), kwargs={"rate": 3000})
    sender.start()
    kills = 0
    for _ in range(3):
        # Kill only once this process has connected and written some batches.
        sessions = kills + 1
        wait_for(
            lambda: log.read_text().count("(session ") >= sessions,  # noqa: B023
            timeout=60,
            message="the consumer to connect",
        )
        time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        kills += 1
        process = start_consumer(env, log)
    sender.join(120)
    publisher.close()

    def complete() -> bool:
        docs = stored(mongo_database)
        return len(docs) == DEVICES and all(
            docs[eui(n)]["readings"]["seq"] == -n for n in range(0, UPDATES, 97)
        )

    wait_for(complete, timeout=90, message="every message stored after the kills")
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0, log.read_text()[-3000:]

    docs = stored(mongo_database)
    assert kills == 3
    for n in range(DEVICES):
        expected = -n if n < UPDATES else n
        assert docs[eui(n)]["readings"]["seq"] == expected, f"device {n}"
    assert mongo_database["device_dead_letters"].count_documents({}) == 0
    output = log.read_text()
    assert "mqtt_consume stopped: received=" in output
    # Each restart found the session the killed process left, with its unacked backlog.
    assert output.count("(session resumed)") >= 3, output[-3000:]
