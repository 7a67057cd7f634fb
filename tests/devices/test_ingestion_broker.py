"""The ingestion consumer against a real Mosquitto and the MongoDB wire server."""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import time
from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pymongo import MongoClient
from pymongo.database import Database

from domain_services.devices.dead_letters import DeadLetterStore
from domain_services.devices.status_store import DeviceMongoDBService
from domain_services.testing.mongodb import MongoWireServer
from domain_services.testing.mqtt import MosquittoBroker
from tests.devices.hostile_corpus import CORPUS, VICTIM
from tests.devices.mqtt_harness import (
    ConsumerThread,
    Publisher,
    consumer_config,
    eui,
    publish,
    status,
    stored,
    wait_for,
    wait_subscribed,
)

pytestmark = [pytest.mark.broker, pytest.mark.wire]


def one_per_device(start: int, count: int, *, prefix: int = 0x70B3) -> list[tuple[str, bytes]]:
    return [
        (f"devices/{eui(n, prefix)}/status", status(n, seconds=n, readings={"seq": n}))
        for n in range(start, start + count)
    ]


def assert_each_stored(database: Database[Any], start: int, count: int) -> None:
    docs = stored(database)
    missing = [n for n in range(start, start + count) if eui(n) not in docs]
    assert not missing, f"{len(missing)} messages lost, e.g. {missing[:5]}"
    wrong = [n for n in range(start, start + count) if docs[eui(n)]["readings"]["seq"] != n]
    assert not wrong, f"wrong values for {wrong[:5]}"


def test_every_valid_status_is_stored_with_the_latest_values(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    consumer = ConsumerThread(consumer_config(mosquitto.url), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    # 300 devices, 5 rounds each, newest last.
    messages = [
        (f"devices/{eui(d)}/status", status(d, seconds=r, battery=r * 10, readings={"r": r}))
        for r in range(5)
        for d in range(300)
    ]
    publish(mosquitto.url, messages)
    wait_for(
        lambda: sum(1 for d in stored(mongo_database).values() if d["battery"] == 40) == 300,
        message="the last round stored for every device",
    )
    stats = consumer.stop()
    docs = stored(mongo_database)
    assert len(docs) == 300
    assert all(doc["readings"] == {"r": 4} for doc in docs.values())
    assert stats.received >= 1500 + 1 and stats.dead_lettered == 0
    assert stats.acked == stats.received


def test_an_embedded_consumer_leaves_the_garbage_collector_alone(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    # Freezing start-up objects is the command's business (it owns the process), not run()'s.
    frozen = gc.get_freeze_count()
    consumer = ConsumerThread(consumer_config(mosquitto.url), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    publish(mosquitto.url, [(f"devices/{eui(1)}/status", status(1, battery=10))])
    wait_for(lambda: eui(1) in stored(mongo_database), message="the status stored")
    consumer.stop()
    assert gc.get_freeze_count() == frozen


def test_hostile_messages_are_dead_lettered_and_change_nothing(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    store = DeviceMongoDBService(database=mongo_database)
    store.update(VICTIM, timestamp=store._clock().replace(year=2024), battery=42)
    before = mongo_database["device_status"].find_one({"_id": VICTIM})
    consumer = ConsumerThread(consumer_config(mosquitto.url), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)

    publish(mosquitto.url, [(topic, payload) for _, topic, payload, _ in CORPUS])
    letters = mongo_database["device_dead_letters"]
    wait_for(lambda: letters.count_documents({}) >= len(CORPUS), message="all dead letters")
    # Still consuming: a valid status after the corpus is stored.
    publish(mosquitto.url, [(f"devices/{eui(5)}/status", status(5, battery=55))])
    wait_for(lambda: eui(5) in stored(mongo_database), message="the valid message after")
    stats = consumer.stop()

    by_topic_payload = {}
    for letter in DeadLetterStore(database=mongo_database).recent(limit=1000):
        by_topic_payload[(letter.topic, letter.payload)] = letter.reason
    for name, topic, payload, reason in CORPUS:
        assert by_topic_payload.get((topic, payload)) == reason, name
    assert letters.count_documents({}) == len(CORPUS)
    assert mongo_database["device_status"].find_one({"_id": VICTIM}) == before
    assert stats.dead_lettered == len(CORPUS)


def test_a_dead_letter_names_the_publisher_its_user_property_states(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    consumer = ConsumerThread(consumer_config(mosquitto.url), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [("site", "north"), ("client_id", "gateway-7")]
    publisher = Publisher(mosquitto.url)
    try:
        info = publisher.client.publish(
            f"devices/{eui(9)}/status", b"not json", qos=1, properties=properties
        )
        info.wait_for_publish(10)
    finally:
        publisher.close()
    letters = DeadLetterStore(database=mongo_database)
    wait_for(lambda: bool(letters.recent(limit=1)), message="the dead letter")
    consumer.stop()
    [letter] = letters.recent(limit=10)
    assert (letter.reason, letter.eui, letter.client_id) == ("not_json", eui(9), "gateway-7")


def test_out_of_order_and_duplicate_messages_leave_the_newest(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    consumer = ConsumerThread(consumer_config(mosquitto.url, BATCH_SIZE=3), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    order = [50, 10, 50, 40, 20, 50, 30, 10, 45, 50, 5]
    messages = [
        (f"devices/{eui(d)}/status", status(d, seconds=s, battery=s))
        for s in order
        for d in range(20)
    ]
    publish(mosquitto.url, messages)
    wait_for(lambda: consumer.consumer.stats.acked >= len(messages), message="all acked")
    stats = consumer.stop()
    docs = stored(mongo_database)
    assert {doc["battery"] for doc in docs.values()} == {50}
    assert len(docs) == 20
    assert stats.stored + stats.stale >= len(messages)


def test_messages_published_while_the_consumer_is_stopped_arrive_at_restart(
    mosquitto: MosquittoBroker, mongo_database: Database[Any], caplog: pytest.LogCaptureFixture
) -> None:
    config = consumer_config(mosquitto.url)
    caplog.set_level(logging.WARNING, logger="domain_services.devices.ingestion")
    consumer = ConsumerThread(config, mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    assert "no stored session" in caplog.text, "the first start must warn about a new session"
    consumer.stop()
    caplog.clear()

    publish(mosquitto.url, one_per_device(0, 2000))
    again = ConsumerThread(config, mongo_database).start()
    wait_for(lambda: len(stored(mongo_database)) == 2000, message="the backlog")
    again.stop()
    assert_each_stored(mongo_database, 0, 2000)
    assert "no stored session" not in caplog.text
    assert "NO SESSION" not in caplog.text


def test_mqtt_311_consumer_keeps_its_session_too(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    config = consumer_config(mosquitto.url)
    config = dataclasses.replace(config, protocol=4)
    # The first run only has to leave a subscribed session behind.
    ConsumerThread(config, mongo_database).start().wait_subscribed().stop()
    publish(mosquitto.url, one_per_device(0, 500))
    consumer = ConsumerThread(config, mongo_database).start()
    wait_for(lambda: len(stored(mongo_database)) == 500, message="the 3.1.1 backlog")
    consumer.stop()
    assert_each_stored(mongo_database, 0, 500)


@pytest.mark.parametrize("protocol", [5, 4])
def test_a_backlog_acked_in_batches_is_never_sent_again(
    mosquitto: MosquittoBroker, mongo_database: Database[Any], protocol: int
) -> None:
    # The consumer hands paho each batch's PUBACKs as one packet: the broker must take every
    # one of them, or it sends the messages again when the session resumes.
    config = dataclasses.replace(consumer_config(mosquitto.url), protocol=protocol)
    ConsumerThread(config, mongo_database).start().wait_subscribed().stop()
    publish(mosquitto.url, one_per_device(0, 3000))
    first = ConsumerThread(config, mongo_database).start()
    wait_for(lambda: len(stored(mongo_database)) == 3000, message="the backlog")
    stats = first.stop()
    assert stats.received == stats.acked == 3000

    again = ConsumerThread(config, mongo_database).start().wait_subscribed()
    publish(mosquitto.url, one_per_device(3000, 1))
    wait_for(lambda: eui(3000) in stored(mongo_database), message="the message after restart")
    stats = again.stop()
    assert (stats.received, stats.redelivered) == (1, 0)  # nothing of the backlog came back


def test_a_shared_group_splits_the_stream_between_consumers(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    consumers = [
        ConsumerThread(consumer_config(mosquitto.url, SHARED_GROUP="ingest"), mongo_database)
        for _ in range(2)
    ]
    for consumer in consumers:
        consumer.start().wait_subscribed()
    publish(mosquitto.url, one_per_device(0, 2000))
    wait_for(lambda: len(stored(mongo_database)) == 2000, message="the shared stream")
    counts = [c.stop().received for c in consumers]
    assert_each_stored(mongo_database, 0, 2000)
    assert all(count >= 200 for count in counts), counts
    assert sum(counts) == 2000


@pytest.mark.slow
def test_a_broker_restart_during_a_stream_loses_nothing(
    mosquitto: MosquittoBroker, mongo_database: Database[Any]
) -> None:
    consumer = ConsumerThread(consumer_config(mosquitto.url), mongo_database).start()
    wait_subscribed(mosquitto.url, mongo_database)
    publish(mosquitto.url, one_per_device(0, 10_000))
    # The consumer is still draining the backlog when the broker goes down.
    assert len(stored(mongo_database)) < 10_000
    mosquitto.stop()
    time.sleep(0.5)
    mosquitto.start()
    publish(mosquitto.url, one_per_device(10_000, 10_000))
    wait_for(lambda: len(stored(mongo_database)) == 20_000, timeout=90, message="20,000 stored")
    stats = consumer.stop()
    assert_each_stored(mongo_database, 0, 20_000)
    assert stats.reconnects >= 1
    assert stats.dead_lettered == 0


@pytest.mark.slow
def test_a_mongodb_outage_during_a_stream_loses_nothing(mosquitto: MosquittoBroker) -> None:
    with MongoWireServer() as server:
        client: MongoClient[dict[str, Any]] = MongoClient(
            server.url, tz_aware=True, serverSelectionTimeoutMS=300, connectTimeoutMS=300
        )
        database = client["outage"]
        consumer = ConsumerThread(consumer_config(mosquitto.url), database).start()
        wait_subscribed(mosquitto.url, database)
        publisher = Publisher(mosquitto.url)
        sender = threading.Thread(
            target=publisher.publish, args=(one_per_device(0, 10_000),), kwargs={"rate": 4000}
        )
        sender.start()
        wait_for(lambda: len(stored(database)) > 1000, message="the stream under way")
        server.stop()
        wait_for(lambda: consumer.consumer.stats.retried >= 2, timeout=15, message="retries")
        retried_during_outage = consumer.consumer.stats.retried
        server.start()
        sender.join(60)
        publisher.close()
        wait_for(lambda: len(stored(database)) == 10_000, timeout=60, message="10,000 stored")
        stats = consumer.stop()
        assert_each_stored(database, 0, 10_000)
        assert retried_during_outage >= 1
        assert database["device_dead_letters"].count_documents({}) == 0
        assert stats.dead_lettered == 0
        client.close()
