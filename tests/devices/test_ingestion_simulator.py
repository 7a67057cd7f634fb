"""The fleet simulator's stream, consumed: the store holds exactly the newest valid statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database

from domain_services.devices.status_store import DeviceMongoDBService
from domain_services.testing.mqtt import MosquittoBroker
from tests.devices.mqtt_harness import (
    ConsumerThread,
    consumer_config,
    stored,
    wait_for,
    wait_subscribed,
)

pytestmark = [pytest.mark.broker, pytest.mark.wire]

SIMULATOR = Path(__file__).resolve().parents[2] / "integrations/fleet_simulator/simulate.py"


def test_simulated_fleet_with_duplicates_and_disorder_ends_at_the_newest_status(
    mosquitto: MosquittoBroker, mongo_database: Database[Any], tmp_path: Path
) -> None:
    consumer = ConsumerThread(consumer_config(mosquitto.url), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    report_path = tmp_path / "sent.json"
    result = subprocess.run(
        [
            sys.executable,
            str(SIMULATOR),
            "--url",
            mosquitto.url,
            "--devices",
            "300",
            "--count",
            "6000",
            "--rate",
            "0",
            "--malformed-ratio",
            "0.02",
            "--duplicates",
            "0.05",
            "--out-of-order",
            "0.05",
            "--seed",
            "11",
            "--report",
            str(report_path),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "sent=6000" in result.stdout
    report = json.loads(report_path.read_text())
    assert report["duplicates"] > 0 and report["out_of_order"] > 0 and report["malformed"] > 0

    wait_for(
        lambda: consumer.consumer.stats.received >= 6000 + 1 and consumer.consumer.pending == 0,
        message="the whole simulated stream",
    )
    stats = consumer.stop()

    store = DeviceMongoDBService(database=mongo_database)
    statuses = store.get_many(report["devices"])
    assert len(stored(mongo_database)) == len(report["devices"]) == 300
    for eui, sent in report["devices"].items():
        status = statuses[eui]
        assert status.timestamp == datetime.fromisoformat(sent["timestamp"]), eui
        assert status.fields["battery"] == sent["battery"]
        assert status.fields["signal"] == sent["signal"]
        assert status.fields["readings"]["temperature"] == sent["readings"]["temperature"]
    assert stats.dead_lettered == report["malformed"]
    assert mongo_database["device_dead_letters"].count_documents({}) == report["malformed"]
