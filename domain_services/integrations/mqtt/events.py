"""Domain events over MQTT: the relay's publisher and the consumer that applies them.

`MQTTTransport` is what `manage.py relay_events` publishes through: QoS 1, a batch at a time,
returning only once the broker acknowledged every message (PUBACK), in order, on one
connection. A clean session with a client id of its own per process: a relay that reconnects
publishes its unconfirmed batch again from the outbox, it needs nothing from the broker.

`EventConsumer` is `manage.py consume_events`. Guarantees, and how:

- **Nothing published is lost.** A persistent session (a stable client id, MQTT 5
  `clean_start=False` with a SessionExpiryInterval, or 3.1.1 `clean_session=False`) and QoS 1
  subscriptions make the broker keep what the consumer has not acknowledged, while it runs and
  while it is down. Acknowledgements are manual and go out in arrival order, each only after
  the transaction that applied its event (and recorded it in the inbox) committed.
- **Once in effect.** The inbox (`domain_services.events.inbox`) skips an event id it has
  recorded, so a redelivery, or the same event published twice by a relay that was killed,
  changes nothing.
- **The loop never dies.** Every message is checked at the edge (`envelope.decode`: topic, size,
  UTF-8, JSON object, version, fields); one that is not a valid event is refused with a reason,
  logged, counted and acknowledged. A handler that raises is retried, then its event is
  recorded as failed; a database that is down stops the stream (nothing acknowledged, retried
  with backoff) but not the consumer.
- **Several consumers** share the stream as members of one shared subscription group
  (`$share/<group>/...`), each with its own client id and session.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage, MQTTMessageInfo
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from domain_services import errors
from domain_services.events import ObjectEvent
from domain_services.events.envelope import EventRefused, decode
from domain_services.events.inbox import APPLIED, DUPLICATE, FAILED, IGNORED, REJECTED, Inbox
from domain_services.events.inbox import Transient as InboxTransient
from domain_services.events.outbox import Message
from domain_services.events.settings import ConsumerConfig
from domain_services.integrations.mqtt.acks import Acker, ack_in_order
from domain_services.integrations.mqtt.backoff import Backoff
from domain_services.integrations.mqtt.client import NOT_AUTHORIZED, connect_async, create_client
from domain_services.integrations.mqtt.router import shared_filter
from domain_services.integrations.mqtt.settings import MQTTConfig, load_config

logger = logging.getLogger(__name__)

# The longest a waiting thread sleeps without looking at its stop flag.
_IDLE = 0.2
_PRUNE_INTERVAL = 3600.0


def relay_client_id(prefix: str) -> str:
    """A client id of this relay process's own: `<prefix>-<host>-<pid>-<random>`.

    Two relays with one client id would take each other's connection away, again and again.
    """
    host = socket.gethostname().split(".")[0][:40] or "host"
    return f"{prefix}-{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class MQTTTransport:
    """Publish outbox batches with QoS 1 and wait for every PUBACK (see the module docstring).

    `window` is how many messages may await their PUBACK at once (paho's in-flight limit).
    """

    def __init__(
        self,
        config: MQTTConfig | None = None,
        *,
        client_id: str,
        window: int = 1000,
        timeout: float | None = None,
    ) -> None:
        self.config = config or load_config()
        self.timeout = timeout or self.config.publish_timeout
        self._client = create_client(self.config, client_id=client_id)
        self._client.max_inflight_messages_set(window)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._client.suppress_exceptions = True
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._refused: dict[int, ReasonCode] = {}
        self._started = False

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def start(self, *, wait: float = 0) -> MQTTTransport:
        """Start connecting (paho reconnects by itself); wait up to `wait` seconds for it."""
        if not self._started:
            connect_async(self._client, self.config, persistent=False)
            self._client.loop_start()
            self._started = True
        if wait:
            self._connected.wait(wait)
        return self

    def close(self) -> None:
        """Disconnect and stop the network loop (safe to call twice)."""
        if self._started:
            self._started = False
            self._client.disconnect()
            self._client.loop_stop()
        self._connected.clear()

    def publish_batch(self, messages: Sequence[Message]) -> None:
        """Publish in order and return once the broker acknowledged each; else raise."""
        self.confirm(self.send(messages))

    def send(self, messages: Sequence[Message]) -> list[MQTTMessageInfo]:
        """Start publishing `messages` in order (paho sends them from its network thread);
        the receipt for `confirm`."""
        if not self._connected.is_set():
            raise errors.Unavailable(f"Not connected to MQTT broker {self.config.url}.")
        publish = self._client.publish
        infos = []
        for message in messages:
            info = publish(message.topic, message.payload, qos=1)
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
                raise errors.Unavailable(
                    f"MQTT publish to {message.topic!r} failed: {info.rc.name}."
                )
            infos.append(info)
        return infos

    def confirm(self, receipt: list[MQTTMessageInfo]) -> None:
        """Wait until the broker acknowledged every message sent; Unavailable when it did not
        within the publish timeout, PermissionDenied when its ACL refused one (MQTT 5)."""
        deadline = time.monotonic() + self.timeout
        for info in receipt:
            if not info.is_published():
                try:
                    info.wait_for_publish(max(0.001, deadline - time.monotonic()))
                except (RuntimeError, ValueError) as exc:
                    raise errors.Unavailable(f"MQTT publish failed: {exc}") from None
                if not info.is_published():
                    raise errors.Unavailable(
                        f"MQTT broker {self.config.url} did not confirm {len(receipt)} events "
                        f"within {self.timeout:.0f}s."
                    )
        if self._refused:
            with self._lock:
                refused = [self._refused.pop(i.mid) for i in receipt if i.mid in self._refused]
            if refused:
                kind = (
                    errors.PermissionDenied
                    if any(code.value == NOT_AUTHORIZED for code in refused)
                    else errors.Unavailable
                )
                raise kind(f"MQTT broker refused {len(refused)} events: {refused[0]}.")

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the relay: %s", self.config.url, reason_code)
            return
        self._connected.set()
        logger.info("Event relay connected to %s.", self.config.url)

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        if self._started:
            logger.warning("Event relay disconnected from %s: %s", self.config.url, reason_code)

    def _on_publish(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            with self._lock:
                self._refused[mid] = reason_code


@dataclass(slots=True)
class ConsumerStats:
    """Counters since start, logged every `LOG_INTERVAL` seconds and at exit.

    `refused` counts messages that were not valid events (by reason in `refused_by_reason`);
    `ignored` events no handler here wants; `rejected` events a handler refused as invalid;
    `failed` events whose handlers kept failing; `redelivered` messages the broker sent again.
    """

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    rejected: int = 0
    failed: int = 0
    refused: int = 0
    retried: int = 0
    acked: int = 0
    reconnects: int = 0
    redelivered: int = 0
    refused_by_reason: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        counts = " ".join(
            f"{name}={getattr(self, name)}"
            for name in (
                "received",
                "applied",
                "duplicates",
                "ignored",
                "rejected",
                "failed",
                "refused",
                "retried",
                "acked",
                "reconnects",
                "redelivered",
            )
        )
        reasons = ",".join(f"{k}:{v}" for k, v in sorted(self.refused_by_reason.items()))
        return f"{counts} refused_by_reason={reasons or '-'}"


@dataclass(slots=True)
class _Received:
    mid: int
    qos: int
    generation: int
    event: ObjectEvent | None


class EventConsumer:
    """Apply the events of `topics` from the broker, exactly once in effect (see the module).

    ```python
    consumer = EventConsumer(topics=["events/facilities/Room/+"], prefix="events",
                             client_id="devices-events")
    consumer.run()  # until SIGTERM/SIGINT; returns the final ConsumerStats
    ```

    `receive()` and `flush()` are the broker-free core (tests drive them with a fake acker).
    """

    def __init__(
        self,
        *,
        topics: Sequence[str],
        prefix: str,
        client_id: str,
        options: ConsumerConfig | None = None,
        group: str | None = None,
        config: MQTTConfig | None = None,
        inbox: Inbox | None = None,
        acker: Acker | None = None,
    ) -> None:
        self.config = config or load_config()
        self.options = options or ConsumerConfig()
        self.topics = list(topics)
        self.prefix = prefix
        self.client_id = client_id
        self.group = group if group is not None else self.options.group
        self.inbox = inbox or Inbox(
            database=self.options.database, max_attempts=self.options.max_attempts
        )
        self.batch_size = self.options.batch_size
        self.receive_maximum = min(65535, max(2 * self.batch_size, 100))
        #: Unacknowledged messages at which reading pauses until a batch is applied: a bound on
        #: memory for brokers that send past the Receive Maximum, and for MQTT 3.1.1.
        self.max_held = 4 * self.receive_maximum
        self.stats = ConsumerStats()
        #: Set once the broker granted every subscription: from then on, what is published
        #: while this client id is away waits in its session (readiness, tests).
        self.subscribed = threading.Event()
        self._acker: Acker | None = acker
        self._client: Client | None = None
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._room = threading.Condition(self._lock)
        self._pending: deque[_Received] = deque()
        self._first_at = 0.0
        self._generation = 0
        self._ack_lock = threading.Lock()
        self._connected_once = False
        self._stopping = False
        self._draining = False

    # -- the broker-free core ------------------------------------------------------------------

    def subscriptions(self) -> list[tuple[str, int]]:
        """`(filter, qos)` pairs, as members of the shared group when one is set."""
        return [(shared_filter(topic, self.group), 1) for topic in self.topics]

    @property
    def pending(self) -> int:
        return len(self._pending)

    def receive(
        self, topic: str, payload: bytes, *, mid: int = 0, qos: int = 1, dup: bool = False
    ) -> None:
        """Check one message and queue it (an event, or a refusal to acknowledge); never raises."""
        event: ObjectEvent | None = None
        try:
            event = decode(
                topic, payload, prefix=self.prefix, max_bytes=self.options.max_payload_bytes
            )
        except EventRefused as exc:
            self._refuse(topic, payload, exc.reason, exc.detail)
        except Exception as exc:  # a bug in decoding must not stop the stream
            logger.exception("Decoding an event failed: topic=%r payload=%r", topic, payload[:200])
            self._refuse(topic, payload, "handler_error", f"{type(exc).__name__}: {exc}")
        with self._lock:
            self.stats.received += 1
            if dup:
                self.stats.redelivered += 1
            if not self._pending:
                self._first_at = time.monotonic()
                self._ready.notify()  # the applier times the batch from its first message
            self._pending.append(_Received(mid, qos, self._generation, event))
            if len(self._pending) >= self.batch_size:
                self._ready.notify()

    def flush(self) -> bool:
        """Apply the oldest batch of pending events and acknowledge it, in arrival order.

        False (nothing acknowledged, the batch kept) when it must be tried again later.
        """
        with self._lock:
            batch = [self._pending[i] for i in range(min(len(self._pending), self.batch_size))]
        if not batch:
            return True
        found = [item.event for item in batch if item.event is not None]
        try:
            outcomes = self.inbox.apply(found) if found else []
        except InboxTransient as exc:
            logger.warning("Events wait (%s); %d unacknowledged.", exc, self.pending)
            return False
        stats = self.stats
        for outcome in outcomes:
            if outcome == APPLIED:
                stats.applied += 1
            elif outcome == DUPLICATE:
                stats.duplicates += 1
            elif outcome == IGNORED:
                stats.ignored += 1
            elif outcome == REJECTED:
                stats.rejected += 1
            elif outcome == FAILED:
                stats.failed += 1
        stats.acked += self._ack(batch)
        with self._lock:
            for _ in batch:
                self._pending.popleft()
            if self._pending:
                self._first_at = time.monotonic()
            self._room.notify_all()
        return True

    def _refuse(self, topic: str, payload: bytes, reason: str, detail: str) -> None:
        self.stats.refused += 1
        self.stats.refused_by_reason[reason] += 1
        logger.warning(
            "Refused a message on %r: %s: %s (payload %r)", topic, reason, detail, payload[:200]
        )

    def _ack(self, batch: Sequence[_Received]) -> int:
        acker = self._acker or self._client
        if acker is None:
            return 0
        with self._ack_lock:
            generation = self._generation
            # An id from an earlier connection is not valid on this one: the broker sends that
            # message again, and the inbox makes the replay harmless.
            current = [
                (item.mid, item.qos) for item in batch if item.qos and item.generation == generation
            ]
            ack_in_order(acker, current)
        return len(current)

    # -- running against a broker --------------------------------------------------------------

    def stop(self) -> None:
        """Apply and acknowledge the batch in hand, then return from `run()`. Signal-safe."""
        self._stopping = True

    def run(self, *, install_signal_handlers: bool = True) -> ConsumerStats:
        """Consume until `stop()` (SIGTERM/SIGINT); return the counters."""
        previous = self._install_signal_handlers() if install_signal_handlers else {}
        client = self._client = self._make_client()
        client.loop_start()
        try:
            self._apply_until_stopped()
            self._draining = True
            # What arrives from now on stays unacknowledged: the broker keeps it for next time.
            if self.pending:
                self._flush_with_retry(give_up_after=10.0)
            client.disconnect()
        finally:
            self._draining = True
            with self._lock:
                self._room.notify_all()
            client.loop_stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        logger.info("Event consumer stopped: %s", self.stats.summary())
        return self.stats

    def _apply_until_stopped(self) -> None:
        log_interval = self.options.log_interval
        next_log = time.monotonic() + log_interval
        next_prune = time.monotonic() + 60.0
        flush_interval = self.options.flush_interval
        while not self._stopping:
            with self._lock:
                count = len(self._pending)
                wait = self._first_at + flush_interval - time.monotonic() if count else _IDLE
                if count < self.batch_size and wait > 0:
                    self._ready.wait(min(wait, _IDLE))
                    count = 0
            if count:
                self._flush_with_retry()
            now = time.monotonic()
            if now >= next_log:
                logger.info("Event consumer: %s", self.stats.summary())
                next_log = now + log_interval
            if now >= next_prune:
                self._prune()
                next_prune = now + _PRUNE_INTERVAL

    def _flush_with_retry(self, give_up_after: float | None = None) -> None:
        """Flush until it succeeds; while stopping, give up after `give_up_after` seconds."""
        backoff = Backoff(self.options.retry_min_delay, self.options.retry_max_delay)
        deadline = None if give_up_after is None else time.monotonic() + give_up_after
        while not self.flush():
            self.stats.retried += 1
            if deadline is None and self._stopping:
                return  # run() drains what is pending, within its own deadline
            if deadline is not None and time.monotonic() > deadline:
                logger.error(
                    "Stopping with %d events unapplied and unacknowledged; the broker keeps "
                    "them for the next run.",
                    self.pending,
                )
                return
            end = time.monotonic() + backoff.next_delay()
            if deadline is not None:
                end = min(end, deadline)
            while time.monotonic() < end and (deadline is not None or not self._stopping):
                time.sleep(0.05)

    def _prune(self) -> None:
        try:
            removed = self.inbox.prune(older_than=self.options.inbox_retention)
        except Exception as exc:  # pruning is housekeeping: never a reason to stop
            logger.warning("Could not prune the inbox: %s", exc)
            return
        if removed:
            logger.info(
                "Pruned %d inbox rows older than %ss.", removed, self.options.inbox_retention
            )

    def _make_client(self) -> Client:
        client = create_client(
            self.config, client_id=self.client_id, persistent=True, manual_ack=True
        )
        client.suppress_exceptions = True
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        connect_async(client, self.config, persistent=True, receive_maximum=self.receive_maximum)
        return client

    def _install_signal_handlers(self) -> dict[int, Any]:
        def handle(signum: int, frame: FrameType | None) -> None:
            logger.info("Received %s; finishing the current batch.", signal.Signals(signum).name)
            self.stop()

        return {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}

    # -- paho callbacks (on paho's network thread; they must never raise) -----------------------

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        try:
            if self._draining:
                return
            if len(self._pending) >= self.max_held:
                with self._lock:
                    while len(self._pending) >= self.max_held and not (
                        self._stopping or self._draining
                    ):
                        self._room.wait(_IDLE)
            try:
                topic = message.topic
            except UnicodeDecodeError:
                topic = "<topic is not UTF-8>"
            self.receive(
                topic, bytes(message.payload), mid=message.mid, qos=message.qos, dup=message.dup
            )
        except Exception:
            logger.exception("Unexpected error while receiving an event.")

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        try:
            if reason_code.is_failure:
                logger.error(
                    "MQTT broker %s refused the consumer: %s", self.config.url, reason_code
                )
                return
            with self._ack_lock:
                self._generation += 1
            if self._connected_once:
                self.stats.reconnects += 1
            if not flags.session_present:
                log = logger.error if self._connected_once else logger.warning
                log(
                    "MQTT broker %s has no session for client id %r: events published while "
                    "this consumer was away are lost (first start with this id, or the broker "
                    "lost its sessions); run `manage.py reconcile_references` to repair.",
                    self.config.url,
                    self.client_id,
                )
            self._connected_once = True
            client.subscribe(self.subscriptions())
            logger.info(
                "Event consumer connected to %s as %r (session %s); subscribed to %s.",
                self.config.url,
                self.client_id,
                "resumed" if flags.session_present else "new",
                ", ".join(f for f, _ in self.subscriptions()),
            )
        except Exception:
            logger.exception("Unexpected error on connecting to the MQTT broker.")

    def _on_connect_fail(self, client: Client, userdata: Any) -> None:
        logger.warning("MQTT broker %s unreachable; retrying.", self.config.url)

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._ack_lock:
            self._generation += 1
        if not self._stopping:
            logger.warning("Event consumer disconnected from %s: %s", self.config.url, reason_code)

    def _on_subscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [code for code in reason_codes if code.is_failure]
        for code in refused:
            logger.error("MQTT broker refused an event subscription: %s", code)
        if not refused:
            self.subscribed.set()
