"""Outages around the consumer: the broker killed, MongoDB down past the keepalive, SIGTERM while
MongoDB is down. What is lost, and what bounds it."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from domain_services.testing.mongodb import MongoWireServer
from domain_services.testing.mqtt import MosquittoBroker
from tests.devices.mqtt_harness import (
    ConsumerThread,
    consumer_config,
    eui,
    publish,
    status,
    stored,
    wait_for,
    wait_subscribed,
)
from tests.devices.test_ingestion_broker import assert_each_stored, one_per_device
from tests.devices.test_ingestion_sigkill import REDELIVERED, ROOT, start_consumer

pytestmark = [pytest.mark.broker, pytest.mark.wire, pytest.mark.slow]

PRODUCTION_CONFIG = ROOT / "integrations" / "mosquitto" / "mosquitto.conf"


def autosave_settings() -> dict[str, str]:
    """The `autosave_*` lines of the production Mosquitto config, as {option: value}."""
    settings = {}
    for line in PRODUCTION_CONFIG.read_text().splitlines():
        option, _, value = line.strip().partition(" ")
        if option.startswith("autosave_"):
            settings[option] = value.strip()
    return settings


def wire_client(server: MongoWireServer) -> MongoClient[dict[str, Any]]:
    # A stopped server is reported in a fraction of a second, not after the default 2 s.
    return MongoClient(
        server.url, tz_aware=True, serverSelectionTimeoutMS=300, connectTimeoutMS=300
    )


def test_a_broker_killed_loses_at_most_its_autosave_window(mongo_database: Database[Any]) -> None:
    # Mosquitto keeps its state in memory and writes all of it to disk at each autosave; a
    # SIGKILL (a crash, the OOM killer, a power cut) loses what it accepted since the last one.
    # The production config saves after every `autosave_interval` changes, which bounds the
    # loss in messages whatever the rate.
    settings = autosave_settings()
    assert settings.get("autosave_on_changes") == "true", settings
    window = int(settings["autosave_interval"])
    extra = "\n".join(f"{option} {value}" for option, value in settings.items())
    with MosquittoBroker(extra_config=extra) as broker:
        config = consumer_config(broker.url)
        # A subscribed session with nobody connected: the broker queues for it.
        ConsumerThread(config, mongo_database).start().wait_subscribed().stop()
        total = 3 * window + window // 2
        publish(broker.url, one_per_device(0, total))  # every one acknowledged by the broker
        broker.kill()
        broker.start()

        consumer = ConsumerThread(config, mongo_database).start().wait_subscribed()
        # Queued behind whatever the broker kept: once it is stored, the backlog is through.
        marker = eui(10**6)
        publish(broker.url, [(f"devices/{marker}/status", status(0))])
        wait_for(lambda: marker in stored(mongo_database), message="the marker after the backlog")
        stats = consumer.stop()

    seqs = sorted(
        doc["readings"]["seq"] for key, doc in stored(mongo_database).items() if key != marker
    )
    lost = total - len(seqs)
    # What survives is exactly the oldest messages, up to the last autosave ...
    assert seqs == list(range(len(seqs)))
    # ... so the crash lost only the newest ones, fewer than one autosave window of them.
    assert 0 < lost <= window, (lost, window)
    assert stats.dead_lettered == 0


def test_a_mongodb_outage_longer_than_the_keepalive_keeps_the_connection(
    mosquitto: MosquittoBroker,
) -> None:
    keepalive = 5  # the smallest MQTT['KEEPALIVE']; the broker drops a silent client at 1.5 x
    with MongoWireServer() as server:
        client = wire_client(server)
        database = client["outage"]
        config = consumer_config(mosquitto.url, keepalive=keepalive)
        consumer = ConsumerThread(config, database).start()
        wait_subscribed(mosquitto.url, database)
        publish(mosquitto.url, one_per_device(0, 1000))
        wait_for(lambda: len(stored(database)) == 1000, message="the first 1,000")

        server.stop()
        down_since = time.monotonic()
        publish(mosquitto.url, one_per_device(1000, 500))
        wait_for(lambda: consumer.consumer.stats.retried >= 2, message="writes failing")
        wait_for(
            lambda: time.monotonic() - down_since > 1.5 * keepalive + 1,
            timeout=30,
            message="an outage longer than 1.5 x the keepalive",
        )
        # Held unacknowledged: as many as the broker may send before acks (Receive Maximum).
        assert consumer.consumer.pending == min(500, consumer.consumer.receive_maximum)
        server.start()
        wait_for(lambda: len(stored(database)) == 1500, timeout=30, message="all 1,500 stored")
        stats = consumer.stop()
        assert_each_stored(database, 0, 1500)
        client.close()

    # The network thread answered keepalives all along: no reconnect, nothing sent twice.
    assert stats.reconnects == 0
    assert stats.redelivered == 0
    assert stats.dead_lettered == 0


def test_sigterm_while_mongodb_is_down_exits_within_the_grace_and_loses_nothing(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    grace = 2.0
    with MongoWireServer() as server:
        client = wire_client(server)
        database = client["sigterm"]
        env = {
            **os.environ,
            "MQTT_URL": mosquitto.url,
            "MONGODB_URL": server.url,
            "TEST_MONGODB_DATABASE": database.name,
            "TEST_MQTT_CLIENT_ID": f"sigterm-{uuid.uuid4().hex[:8]}",
            "TEST_SHUTDOWN_GRACE": str(grace),
            "PYTHONPATH": str(ROOT),
        }
        first, second = tmp_path / "first.log", tmp_path / "second.log"
        process = start_consumer(env, first)
        wait_subscribed(mosquitto.url, database, timeout=30)

        server.stop()
        publish(mosquitto.url, one_per_device(0, 300))
        wait_for(
            lambda: "Status store unavailable" in first.read_text(),
            message="the consumer holding messages it cannot write",
        )
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        took = time.monotonic() - asked
        log = first.read_text()
        assert code == 0, log[-3000:]
        # The grace, plus one failed write attempt (300 ms server selection) and start-up slack.
        assert took < grace + 2, f"took {took:.1f}s to stop: {log[-3000:]}"
        assert "unwritten and unacked; the broker keeps them" in log

        server.start()
        process = start_consumer(env, second)
        wait_for(lambda: len(stored(database)) == 300, timeout=60, message="all 300 stored")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert_each_stored(database, 0, 300)
        assert REDELIVERED in second.read_text()
        client.close()
