"""The best hand-written status consumer we know: the baseline of `mqtt.consume_vs_minimal`.

About sixty lines of paho-mqtt and pymongo, nothing else imported: a persistent session,
manual acks, each message parsed and merged per device by paho's network thread, an unordered
`bulk_write` of plain `$set` upserts by `_id` every 200 messages or 50 ms from the main thread,
then the acks. It keeps none of the consumer's guarantees: no validation, no dead letters, no
last-write-wins (an older status arriving later overwrites a newer one).

`bench_mqtt` runs it as its own process; it prints one JSON line with its wall time, its CPU
time and the database server's CPU time (when given `--db-pid`), from connect to last write.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessage
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pymongo import MongoClient, UpdateOne

BATCH, FLUSH = 200, 0.05


def consume(
    mqtt_url: str, collection: Any, client_id: str, count: int, receive_max: int
) -> tuple[float, float]:
    """Consume `count` messages; return wall and CPU time at the last write's acks."""
    client = Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
        manual_ack=True,
    )
    ready = threading.Condition()
    pending: dict[str, dict[str, Any]] = {}
    mids: list[int] = []
    first = [0.0]

    def on_message(client: Client, userdata: Any, message: MQTTMessage) -> None:
        body = json.loads(message.payload)
        body["timestamp"] = datetime.fromisoformat(body["timestamp"])
        eui = message.topic.split("/")[1]
        with ready:
            if not mids:
                first[0] = time.monotonic()
            merged = pending.get(eui)
            if merged is None:
                pending[eui] = body
            else:
                merged.update(body)
            mids.append(message.mid)
            if len(mids) >= BATCH:
                ready.notify()

    client.on_message = on_message
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = receive_max
    url = urlsplit(mqtt_url)
    client.connect(
        url.hostname or "", url.port or 1883, 60, clean_start=False, properties=properties
    )
    client.loop_start()
    done = 0
    while done < count:
        with ready:
            while len(mids) < BATCH:
                left = first[0] + FLUSH - time.monotonic() if mids else FLUSH
                if left <= 0:
                    break
                ready.wait(left)
            batch, acks = dict(pending), list(mids)
            pending.clear()
            mids.clear()
        if not acks:
            continue
        ops = [UpdateOne({"_id": eui}, {"$set": doc}, upsert=True) for eui, doc in batch.items()]
        collection.bulk_write(ops, ordered=False)
        for mid in acks:
            client.ack(mid, 1)
        done += len(acks)
    finished = time.perf_counter(), time.process_time()
    client.disconnect()
    client.loop_stop()
    return finished


def process_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for option in ("--mqtt", "--mongo", "--db", "--client-id"):
        parser.add_argument(option, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--receive-maximum", type=int, default=1000)
    parser.add_argument("--db-pid", type=int)
    args = parser.parse_args()
    mongo: MongoClient[dict[str, Any]] = MongoClient(args.mongo, tz_aware=True)
    collection = mongo[args.db]["device_status"]
    wall, cpu, db_cpu = time.perf_counter(), time.process_time(), process_cpu(args.db_pid)
    end_wall, end_cpu = consume(
        args.mqtt, collection, args.client_id, args.count, args.receive_maximum
    )
    result = {
        "seconds": end_wall - wall,
        "cpu": end_cpu - cpu,
        "db_cpu": process_cpu(args.db_pid) - db_cpu,
    }
    print(json.dumps(result), flush=True)
    mongo.close()


if __name__ == "__main__":
    main()
