#!/usr/bin/env python3
"""A device fleet simulator: N devices publishing status messages over MQTT (QoS 1).

    python integrations/fleet_simulator/simulate.py --url mqtt://127.0.0.1:1883 \
        --devices 1000 --rate 2000 --duration 10 --report sent.json

Options inject trouble the ingestion consumer must survive: --malformed-ratio (payloads it must
dead-letter), --duplicates (the same message again) and --out-of-order (an older status after a
newer one). --euis publishes for exactly the devices given instead of a numbered fleet.
--report writes what was sent, including each device's newest valid status, so a test can
compare it with the store. --duration 0 runs until SIGTERM or Ctrl-C, then waits for the
broker's confirmations and reports as usual; memory stays flat because at most --window
publishes are awaited at a time. It needs paho-mqtt and tqdm, not Django.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessageInfo
from paho.mqtt.enums import MQTTProtocolVersion
from tqdm import tqdm

HEX = frozenset("0123456789ABCDEF")
MALFORMED = [
    b"not json at all",
    b"[1, 2, 3]",
    b'{"battery": 50}',
    b'{"timestamp": "yesterday"}',
    b'{"timestamp": 1746100800, "battery": 250}',
    b'{"timestamp": 1746100800, "batery": 50}',
    b'{"timestamp": 1746100800, "readings": {"$where": 1}}',
    b"\xff\xfe\x00 binary",
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"),
        help="broker URL, mqtt://[user:password@]host:port (default $MQTT_URL)",
    )
    fleet = parser.add_mutually_exclusive_group()
    fleet.add_argument("--devices", type=int, default=100, help="number of devices (100)")
    fleet.add_argument(
        "--euis",
        type=parse_euis,
        help="exactly these devices: comma-separated EUIs, or @FILE with one EUI per line",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1000,
        help="messages per second overall, 0 for as fast as possible (1000)",
    )
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument(
        "--duration", type=float, help="seconds to run, 0 until SIGTERM/Ctrl-C (default 10)"
    )
    stop.add_argument("--count", type=int, help="number of messages to send instead of a duration")
    parser.add_argument(
        "--malformed-ratio",
        type=float,
        default=0.0,
        help="share of messages with an invalid payload (0..1)",
    )
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.0,
        help="share of messages that repeat a device's previous message (0..1)",
    )
    parser.add_argument(
        "--out-of-order",
        type=float,
        default=0.0,
        help="share of messages older than the device's newest (0..1)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    parser.add_argument("--prefix", default="F1EE7", help="first hex digits of every EUI (F1EE7)")
    parser.add_argument("--report", help="write a JSON report of what was sent to this file")
    parser.add_argument(
        "--window",
        type=int,
        default=10_000,
        help="most publishes awaiting the broker's confirmation at a time (10000)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    for name in ("malformed_ratio", "duplicates", "out_of_order"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} must be between 0 and 1")
    if args.devices < 1:
        parser.error("--devices must be at least 1")
    if args.window < 1:
        parser.error("--window must be at least 1")
    if args.duration is not None and args.duration < 0:
        parser.error("--duration must be 0 (until stopped) or more")
    if len(args.prefix) > 15 or any(c not in "0123456789ABCDEFabcdef" for c in args.prefix):
        parser.error("--prefix must be up to 15 hex digits")
    if args.duration is None and args.count is None:
        args.duration = 10.0
    return args


def parse_euis(value: str) -> list[str]:
    """`--euis`: comma-separated EUIs or `@FILE`, each 16 hex digits, upper-cased, deduplicated."""
    if value.startswith("@"):
        try:
            with open(value[1:]) as source:
                items = source.read().split()
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"cannot read {value[1:]}: {exc}") from exc
    else:
        items = value.split(",")
    euis = list(dict.fromkeys(item.strip().upper() for item in items if item.strip()))
    bad = [eui for eui in euis if len(eui) != 16 or any(c not in HEX for c in eui)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a 16-hex-digit EUI: {bad[0]!r}")
    if not euis:
        raise argparse.ArgumentTypeError("no EUI given")
    return euis


class Fleet:
    """The devices' clocks and newest valid statuses; decides what each message is."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.random = random.Random(args.seed)
        if args.euis:
            self.euis = list(args.euis)
        else:
            width = 16 - len(args.prefix)
            self.euis = [f"{args.prefix.upper()}{n:0{width}X}" for n in range(args.devices)]
        # Device clocks start a day back so that a long run never reaches the future.
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        self.clock = {eui: start for eui in self.euis}
        self.last: dict[str, bytes] = {}
        self.newest: dict[str, dict[str, Any]] = {}
        self.counts = {"sent": 0, "valid": 0, "malformed": 0, "duplicates": 0, "out_of_order": 0}

    def next_message(self) -> tuple[str, bytes]:
        eui = self.euis[self.counts["sent"] % len(self.euis)]
        topic = f"devices/{eui}/status"
        roll = self.random.random()
        args = self.args
        self.counts["sent"] += 1
        if roll < args.malformed_ratio:
            self.counts["malformed"] += 1
            return topic, self.random.choice(MALFORMED)
        roll -= args.malformed_ratio
        if roll < args.duplicates and eui in self.last:
            self.counts["duplicates"] += 1
            return topic, self.last[eui]
        roll -= args.duplicates
        if roll < args.out_of_order and eui in self.newest:
            self.counts["out_of_order"] += 1
            moment = self.clock[eui] - timedelta(seconds=self.random.randint(1, 3600))
            return topic, self._encode(eui, moment, newest=False)
        self.clock[eui] += timedelta(seconds=1)
        return topic, self._encode(eui, self.clock[eui], newest=True)

    def _encode(self, eui: str, moment: datetime, *, newest: bool) -> bytes:
        status = {
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "battery": self.random.randint(0, 100),
            "signal": self.random.randint(-120, -30),
            "firmware": "1.4.2",
            "readings": {
                "temperature": round(self.random.uniform(-10, 40), 2),
                "door_open": self.random.random() < 0.5,
            },
        }
        payload = json.dumps(status, separators=(",", ":")).encode()
        self.counts["valid"] += 1
        if newest:
            self.newest[eui] = status
            self.last[eui] = payload
        return payload

    def report(self, seconds: float) -> dict[str, Any]:
        return {**self.counts, "seconds": round(seconds, 3), "devices": self.newest}


def connect(url: str) -> Client:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        sys.exit(f"--url must be mqtt:// or mqtts://, not {url!r}")
    client = Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"fleet-simulator-{uuid.uuid4().hex[:8]}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    if parts.username:
        client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
    if parts.scheme == "mqtts":
        client.tls_set()
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    try:
        client.connect(parts.hostname or "127.0.0.1", port, 30)
    except OSError as exc:
        sys.exit(f"cannot connect to {parts.hostname}:{port}: {exc}")
    client.loop_start()
    return client


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fleet = Fleet(args)
    client = connect(args.url)
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return publish_fleet(args, fleet, client, lambda: stopping)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def publish_fleet(
    args: argparse.Namespace, fleet: Fleet, client: Client, stopping: Callable[[], bool]
) -> int:
    """Publish until the count, the duration or a stop; print (and write) the report."""
    total = args.count
    bar = tqdm(total=total, unit="msg", disable=args.no_progress, file=sys.stderr)
    # QoS 1: a message counts as sent once the broker acknowledged it. Receipts are awaited
    # oldest first once the window is full, so a run of any length holds at most --window.
    pending: deque[MQTTMessageInfo] = deque()
    unconfirmed = 0

    def confirm(info: MQTTMessageInfo, timeout: float) -> int:
        info.wait_for_publish(timeout)
        return 0 if info.is_published() else 1

    start = time.monotonic()
    deadline = start + args.duration if args.duration else None
    sent = 0
    while (
        not stopping()
        and (total is None or sent < total)
        and (deadline is None or time.monotonic() < deadline)
    ):
        topic, payload = fleet.next_message()
        pending.append(client.publish(topic, payload, qos=1))
        sent += 1
        if len(pending) > args.window:
            unconfirmed += confirm(pending.popleft(), 60)
        if sent % 100 == 0:
            bar.update(100)
        # Paced every 100 messages at high rates (cheap), every message at low ones (smooth).
        if args.rate and (sent % 100 == 0 or args.rate < 1000):
            resume = start + sent / args.rate
            # In short naps, so that SIGTERM is answered at once.
            while not stopping() and (ahead := resume - time.monotonic()) > 0:
                time.sleep(min(ahead, 0.2))
    bar.update(sent % 100)
    while pending:
        unconfirmed += confirm(pending.popleft(), 60)
    seconds = time.monotonic() - start
    bar.close()
    client.disconnect()
    client.loop_stop()
    report = fleet.report(seconds)
    summary = {k: v for k, v in report.items() if k != "devices"}
    summary["unconfirmed"] = unconfirmed
    summary["rate"] = round(sent / seconds) if seconds else 0
    print(" ".join(f"{k}={v}" for k, v in summary.items()), flush=True)
    if args.report:
        with open(args.report, "w") as out:
            json.dump({**report, "unconfirmed": unconfirmed}, out, indent=1)
    return 1 if unconfirmed else 0


if __name__ == "__main__":
    raise SystemExit(main())
