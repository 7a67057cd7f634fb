"""`manage.py mqtt_consume` killed with SIGKILL during a 20,000-message stream loses nothing.

One message per device, so every message is checked on its own (with several per device, a
newer one would hide the loss of an older one). Each kill must land while the killed process
holds messages it has not acknowledged: the next process proves it, because the broker sends
those again flagged as redeliveries (MQTT's DUP flag), which the consumer logs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database

from domain_services.testing.mqtt import MosquittoBroker
from tests.devices.mqtt_harness import Publisher, eui, status, stored, wait_for, wait_subscribed

pytestmark = [pytest.mark.broker, pytest.mark.wire, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEVICES = 20_000
KILLS = 3
CONNECTED = "(session "
REDELIVERED = "Receiving redelivered messages"


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


def logged(log: Path, text: str) -> Callable[[], bool]:
    """A condition: `text` is in the log file `log`."""
    return lambda: text in log.read_text()


def consumer_env(broker: MosquittoBroker, mongodb_url: str, database: Database[Any]) -> dict:
    return {
        **os.environ,
        "MQTT_URL": broker.url,
        "MONGODB_URL": mongodb_url,
        "TEST_MONGODB_DATABASE": database.name,
        "TEST_MQTT_CLIENT_ID": f"sigkill-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
    }


def test_sigkill_during_a_stream_loses_nothing(
    mosquitto: MosquittoBroker, mongodb_url: str, mongo_database: Database[Any], tmp_path: Path
) -> None:
    env = consumer_env(mosquitto, mongodb_url, mongo_database)
    logs = [tmp_path / f"consumer-{run}.log" for run in range(KILLS + 1)]
    process = start_consumer(env, logs[0])
    wait_subscribed(mosquitto.url, mongo_database, timeout=30)

    messages = [
        (f"devices/{eui(n)}/status", status(n, seconds=n, readings={"seq": n}))
        for n in range(DEVICES)
    ]
    publisher = Publisher(mosquitto.url)
    sender = threading.Thread(target=publisher.publish, args=(messages,), kwargs={"rate": 2000})
    sender.start()
    collection = mongo_database["device_status"]
    for run in range(KILLS):
        wait_for(logged(logs[run], CONNECTED), timeout=60, message=f"run {run} to connect")
        if run:
            # The previous kill left unacknowledged messages: this run receives them again.
            wait_for(
                logged(logs[run], REDELIVERED),
                timeout=30,
                message=f"run {run} to receive what run {run - 1} left unacknowledged",
            )
        # Kill while this process is writing the stream (so it holds unacknowledged messages).
        written = collection.count_documents({})
        wait_for(
            lambda: collection.count_documents({}) >= written + 500,  # noqa: B023
            timeout=30,
            message=f"run {run} to write",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        process = start_consumer(env, logs[run + 1])
    sender.join(120)
    publisher.close()

    wait_for(
        lambda: len(stored(mongo_database)) == DEVICES,
        timeout=90,
        message="every message stored after the kills",
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0, logs[-1].read_text()[-3000:]

    docs = stored(mongo_database)
    lost = [n for n in range(DEVICES) if eui(n) not in docs]
    assert not lost, f"{len(lost)} messages lost, e.g. {lost[:5]}"
    wrong = [n for n in range(DEVICES) if docs[eui(n)]["readings"]["seq"] != n]
    assert not wrong, f"wrong values for {wrong[:5]}"
    assert mongo_database["device_dead_letters"].count_documents({}) == 0
    final = logs[-1].read_text()
    assert "mqtt_consume stopped: received=" in final
    # Every restart found the killed process's session, and its unacknowledged messages in it.
    for run, log in enumerate(logs[1:], 1):
        text = log.read_text()
        assert "(session resumed)" in text, f"run {run}: {text[-2000:]}"
        assert REDELIVERED in text, f"run {run} received nothing again: {text[-2000:]}"
