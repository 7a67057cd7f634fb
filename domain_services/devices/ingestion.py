"""The status ingestion consumer: MQTT `devices/<eui>/status` into the status store.

Guarantees, and how:

- **Nothing valid is lost.** A persistent session (stable client id, MQTT 5 `clean_start=False`
  with a SessionExpiryInterval, or 3.1.1 `clean_session=False`) and QoS 1 subscriptions make the
  broker keep what the consumer has not acknowledged. Acknowledgements are manual
  (`manual_ack=True`): a message is acked only after its batch is written to MongoDB or its dead
  letter is, and acks go out in arrival order.
- **Replays are harmless.** Updates are unordered bulk upserts, last write wins by the device's
  timestamp, so a redelivered batch (after a crash between write and ack) changes nothing.
- **The loop never dies.** Every message is validated at the edge in a fixed order (topic and
  EUI, size, UTF-8, JSON object, status schema, store key rules); a failure, or any exception
  in handling, becomes a dead letter with a reason, and is acked.
- **A store outage stops the stream, not the consumer.** While the store raises `Unavailable`
  the batch is retried with backoff and no more messages are read; the MQTT 5 Receive Maximum
  (two batches) makes the broker hold the rest.

One thread drives paho's network loop (`client.loop()`), validation, batching and writes, so
acks, reconnects and flushes never race, and the consumer does not pay for a thread hand-off
per message.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from types import FrameType
from typing import Any, Protocol

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from domain_services import errors
from domain_services.devices.dead_letters import DeadLetter
from domain_services.devices.eui import normalize_eui
from domain_services.devices.status_schema import (
    Reason,
    StatusRejected,
    decode_payload,
    parse_status,
)
from domain_services.devices.status_store import StatusUpdate
from domain_services.integrations.mqtt.backoff import Backoff
from domain_services.integrations.mqtt.client import connect_async, create_client
from domain_services.integrations.mqtt.router import TopicRouter
from domain_services.integrations.mqtt.settings import MQTTConfig, load_config

logger = logging.getLogger(__name__)

STATUS_PATTERN = "devices/{eui}/status"
# After SIGTERM, how long a flush may keep retrying a store that is down before the consumer
# exits without acking (the broker then keeps those messages for the next run).
SHUTDOWN_GRACE = 10.0
IDLE_LOOP_TIMEOUT = 0.2


class BulkOutcome(Protocol):
    """What the store reports for one bulk write (`BulkResult`)."""

    @property
    def applied(self) -> int: ...
    @property
    def stale(self) -> int: ...
    @property
    def failures(self) -> Mapping[int, str]: ...


class StatusSink(Protocol):
    """The status store as the consumer uses it (`DeviceMongoDBService`)."""

    def validate(
        self, eui: str, fields: Mapping[str, Any], *, timestamp: datetime | None = None
    ) -> StatusUpdate: ...
    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkOutcome: ...


class DeadLetterSink(Protocol):
    """Where refused messages go (`DeadLetterStore`)."""

    def add_many(self, letters: Sequence[DeadLetter]) -> int: ...


class Acker(Protocol):
    def ack(self, mid: int, qos: int) -> Any: ...


@dataclass(slots=True)
class ConsumerStats:
    """Counters since start: logged every `LOG_INTERVAL` seconds and at exit."""

    received: int = 0
    stored: int = 0
    stale: int = 0
    dead_lettered: int = 0
    retried: int = 0
    acked: int = 0
    reconnects: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.as_dict().items())


class StatusConsumer:
    """Consume device status messages into `store`; see the module docstring for guarantees.

    ```python
    consumer = StatusConsumer(store=DeviceMongoDBService(), dead_letters=DeadLetterStore())
    consumer.run()  # until SIGTERM/SIGINT; returns the final ConsumerStats
    ```

    `receive()` and `flush()` are the broker-free core (tests drive them with a fake acker);
    `run()` adds the MQTT connection, reconnects, retries, signals and periodic counters.
    """

    def __init__(
        self,
        *,
        store: StatusSink,
        dead_letters: DeadLetterSink,
        config: MQTTConfig | None = None,
        client_id: str | None = None,
        shared_group: str | None = None,
        batch_size: int | None = None,
        flush_interval: float | None = None,
        acker: Acker | None = None,
    ) -> None:
        self.config = config or load_config()
        options = self.config.consumer
        self.store = store
        self.dead_letters = dead_letters
        self.client_id = client_id or options.client_id
        self.shared_group = shared_group or options.shared_group
        self.batch_size = batch_size or options.batch_size
        self.flush_interval = options.flush_interval if flush_interval is None else flush_interval
        self.max_payload_bytes = options.max_payload_bytes
        self.receive_maximum = options.effective_receive_maximum
        if self.config.is_v5 and self.receive_maximum < self.batch_size:
            logger.warning(
                "RECEIVE_MAXIMUM %d is below BATCH_SIZE %d: batches will flush by age only.",
                self.receive_maximum,
                self.batch_size,
            )
        self.router = TopicRouter()
        self.router.add(STATUS_PATTERN, self._status_update)
        self.stats = ConsumerStats()
        self._acker: Acker | None = acker
        self._client: Client | None = None
        # The pending batch, in arrival order: (mid, qos, connection generation) per message.
        self._acks: list[tuple[int, int, int]] = []
        self._updates: list[StatusUpdate] = []
        self._sources: list[tuple[str, bytes]] = []
        self._dead: list[DeadLetter] = []
        self._first_at = 0.0
        # Bumped at every CONNACK: a message id is only valid on the connection it came on.
        self._generation = 0
        self._connected_once = False
        #: Set once the broker has granted every subscription: from then on, messages published
        #: while this client id is away are queued in its session (readiness for probes, tests).
        self.subscribed = threading.Event()
        self._stopping = False
        self._forced = False
        self._reconnect_backoff = Backoff(
            self.config.reconnect_min_delay, self.config.reconnect_max_delay
        )

    # -- the broker-free core ------------------------------------------------------------------

    def subscriptions(self) -> list[tuple[str, int]]:
        """The `(filter, qos)` pairs the consumer subscribes to."""
        return self.router.subscriptions(group=self.shared_group)

    @property
    def pending(self) -> int:
        """Messages received but not yet acked."""
        return len(self._acks)

    def receive(
        self,
        topic: str,
        payload: bytes,
        *,
        mid: int = 0,
        qos: int = 1,
        properties: Properties | None = None,
    ) -> None:
        """Validate one message into the pending batch (update or dead letter); never raises."""
        self.stats.received += 1
        if not self._acks:
            self._first_at = time.monotonic()
        self._acks.append((mid, qos, self._generation))
        try:
            found = self.router.match(topic)
            if found is None:
                raise StatusRejected(Reason.TOPIC, "expected devices/<eui>/status")
            handler, params = found
            update = handler(params, payload)
        except StatusRejected as exc:
            self._dead_letter(topic, payload, exc.reason, exc.detail, exc.eui, properties)
        except Exception as exc:
            logger.exception(
                "Status handler failed: topic=%r mid=%s qos=%s payload=%r",
                topic,
                mid,
                qos,
                payload[:200],
            )
            detail = f"{type(exc).__name__}: {exc}"
            self._dead_letter(topic, payload, Reason.HANDLER_ERROR, detail, None, properties)
        else:
            self._updates.append(update)
            self._sources.append((topic, payload))

    def flush(self) -> bool:
        """Write the pending batch, then ack it in arrival order.

        Returns False, acking nothing and keeping the batch, when the store is unavailable.
        """
        if not self._acks:
            return True
        try:
            applied, stale, dead = self._write()
        except errors.Unavailable as exc:
            logger.warning("Status store unavailable (%s); %d messages wait.", exc, len(self._acks))
            return False
        self.stats.stored += applied
        self.stats.stale += stale
        self.stats.dead_lettered += dead
        self._ack_pending()
        return True

    def _status_update(self, params: Mapping[str, str], payload: bytes) -> StatusUpdate:
        try:
            eui = normalize_eui(params["eui"])
        except errors.ValidationFailed as exc:
            raise StatusRejected(Reason.EUI, exc.message) from None
        document = decode_payload(payload, max_bytes=self.max_payload_bytes)
        try:
            timestamp, fields = parse_status(document)
        except StatusRejected as exc:
            exc.eui = eui
            raise
        try:
            return self.store.validate(eui, fields, timestamp=timestamp)
        except errors.ValidationFailed as exc:
            raise StatusRejected(Reason.STORE_RULES, exc.message, eui=eui) from None

    def _dead_letter(
        self,
        topic: str,
        payload: bytes,
        reason: str,
        detail: str,
        eui: str | None,
        properties: Properties | None,
    ) -> None:
        self._dead.append(
            DeadLetter.create(
                topic=topic,
                payload=payload,
                reason=reason,
                detail=detail,
                eui=eui,
                client_id=_publisher_id(properties),
            )
        )

    def _write(self) -> tuple[int, int, int]:
        applied = stale = 0
        dead = list(self._dead)
        if self._updates:
            try:
                result = self.store.bulk_update(self._updates)
            except errors.Unavailable:
                raise
            except errors.DomainError:
                # A batch the store refuses as a whole (e.g. a value BSON cannot encode): write
                # one by one so only the poisoned update is dead-lettered.
                return self._write_one_by_one(dead)
            applied, stale = result.applied, result.stale
            for index, message in result.failures.items():
                dead.append(self._rejected_by_store(index, message))
        if dead:
            self.dead_letters.add_many(dead)
        return applied, stale, len(dead)

    def _write_one_by_one(self, dead: list[DeadLetter]) -> tuple[int, int, int]:
        applied = stale = 0
        for index, update in enumerate(self._updates):
            try:
                result = self.store.bulk_update([update])
            except errors.Unavailable:
                raise
            except errors.DomainError as exc:
                dead.append(self._rejected_by_store(index, exc.message))
                continue
            applied += result.applied
            stale += result.stale
            dead.extend(self._rejected_by_store(index, m) for m in result.failures.values())
        if dead:
            self.dead_letters.add_many(dead)
        return applied, stale, len(dead)

    def _rejected_by_store(self, index: int, message: str) -> DeadLetter:
        topic, payload = self._sources[index]
        eui = self._updates[index].eui
        logger.error("The status store refused the update for %s: %s", eui, message)
        return DeadLetter.create(
            topic=topic, payload=payload, reason=Reason.STORE_REJECTED, detail=message, eui=eui
        )

    def _ack_pending(self) -> None:
        acker = self._acker or self._client
        generation = self._generation
        for mid, qos, gen in self._acks:
            # A message from an earlier connection is redelivered on this one with its own
            # ack; acking its old id here could ack a different message.
            if qos and gen == generation and acker is not None:
                acker.ack(mid, qos)
                self.stats.acked += 1
        self._acks.clear()
        self._updates.clear()
        self._sources.clear()
        self._dead.clear()

    # -- running against a broker --------------------------------------------------------------

    def stop(self) -> None:
        """Ask `run()` to flush, ack, disconnect and return (safe from a signal handler)."""
        if self._stopping:
            self._forced = True
        self._stopping = True

    def run(self, *, install_signal_handlers: bool = True) -> ConsumerStats:
        """Consume until `stop()` (SIGTERM/SIGINT); return the final counters."""
        previous = self._install_signal_handlers() if install_signal_handlers else {}
        try:
            client = self._client = self._make_client()
            self._connect(client)
            log_interval = self.config.consumer.log_interval
            next_log = time.monotonic() + log_interval
            batch_size, flush_interval = self.batch_size, self.flush_interval
            loop, success = client.loop, MQTTErrorCode.MQTT_ERR_SUCCESS
            monotonic = time.monotonic
            while not self._stopping:
                acks = self._acks
                if acks:
                    timeout = max(0.0, self._first_at + flush_interval - monotonic())
                else:
                    timeout = IDLE_LOOP_TIMEOUT
                if loop(timeout) != success:
                    self._reconnect(client)
                if acks and (
                    len(acks) >= batch_size or monotonic() - self._first_at >= flush_interval
                ):
                    self._flush_with_retry()
                if monotonic() >= next_log:
                    logger.info("Status ingestion: %s", self.stats.summary())
                    next_log += log_interval
            self._shutdown(client)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.stats

    def _make_client(self) -> Client:
        client = create_client(
            self.config, client_id=self.client_id, persistent=True, manual_ack=True
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        # Stores host, session and CONNECT properties; every reconnect() reuses them.
        connect_async(client, self.config, persistent=True, receive_maximum=self.receive_maximum)
        return client

    def _connect(self, client: Client) -> None:
        while not self._stopping:
            try:
                client.reconnect()
                return
            except OSError as exc:
                delay = self._reconnect_backoff.next_delay()
                logger.warning(
                    "MQTT broker %s unreachable (%s); retrying in %.1fs.",
                    self.config.url,
                    exc,
                    delay,
                )
                self._sleep(delay)

    def _reconnect(self, client: Client) -> None:
        self.stats.reconnects += 1
        delay = self._reconnect_backoff.next_delay()
        logger.warning(
            "Lost the MQTT connection to %s; reconnecting in %.1fs.", self.config.url, delay
        )
        self._sleep(delay)
        if not self._stopping:
            self._connect(client)

    def _flush_with_retry(self) -> bool:
        backoff = Backoff(
            self.config.consumer.retry_min_delay, self.config.consumer.retry_max_delay
        )
        give_up_at: float | None = None
        while not self.flush():
            self.stats.retried += 1
            if self._stopping:
                give_up_at = give_up_at or time.monotonic() + SHUTDOWN_GRACE
                if self._forced or time.monotonic() >= give_up_at:
                    logger.error(
                        "Stopping with %d messages unwritten and unacked; the broker keeps them "
                        "for the next run.",
                        len(self._acks),
                    )
                    return False
            # Not calling client.loop() here is what stops reading: the broker holds the rest.
            self._sleep(backoff.next_delay(), interruptible=False)
        return True

    def _shutdown(self, client: Client) -> None:
        logger.info("Stopping status ingestion: flushing %d pending messages.", len(self._acks))
        self._flush_with_retry()
        client.disconnect()
        # Without a network thread, queued acks and the DISCONNECT are written by loop calls.
        for _ in range(100):
            if not client.want_write():
                break
            client.loop(0.05)
        logger.info("Status ingestion stopped: %s", self.stats.summary())

    def _sleep(self, seconds: float, *, interruptible: bool = True) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if (interruptible and self._stopping) or self._forced:
                return
            time.sleep(min(remaining, 0.1))

    def _install_signal_handlers(self) -> dict[int, Any]:
        def handle(signum: int, frame: FrameType | None) -> None:
            logger.info("Received %s; finishing the current batch.", signal.Signals(signum).name)
            self.stop()

        previous: dict[int, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handle)
        return previous

    # -- paho callbacks (on this thread, inside client.loop(); they must never raise) -----------

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.config.url, reason_code)
            return
        self._generation += 1
        self._reconnect_backoff.reset()
        if not flags.session_present:
            if self._connected_once:
                logger.error(
                    "MQTT broker %s has NO SESSION for client id %r after a reconnect: messages "
                    "published while the consumer was disconnected are LOST. Check the broker's "
                    "persistence and MQTT['SESSION_EXPIRY'].",
                    self.config.url,
                    self.client_id,
                )
            else:
                logger.warning(
                    "MQTT broker %s has no stored session for client id %r: a first start with "
                    "this id, or the broker lost it (restart without persistence, expiry) and "
                    "messages published while the consumer was down are LOST.",
                    self.config.url,
                    self.client_id,
                )
        granted = getattr(properties, "SessionExpiryInterval", None) if properties else None
        if self.config.is_v5 and granted is not None and granted < self.config.session_expiry:
            logger.warning(
                "MQTT broker shortened the session expiry to %ss (asked %ss).",
                granted,
                self.config.session_expiry,
            )
        self._connected_once = True
        # Subscribing again on a kept session is harmless, and picks up a changed group.
        client.subscribe(self.subscriptions())
        logger.info(
            "Connected to %s as %r (session %s); subscribed to %s.",
            self.config.url,
            self.client_id,
            "resumed" if flags.session_present else "new",
            ", ".join(f for f, _ in self.subscriptions()),
        )

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not self._stopping:
            logger.warning("Disconnected from MQTT broker %s: %s", self.config.url, reason_code)

    def _on_subscribe(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = False
        for (topic_filter, _), code in zip(self.subscriptions(), reason_codes, strict=False):
            if code.is_failure:
                refused = True
                logger.error("MQTT broker refused the subscription %r: %s", topic_filter, code)
        if not refused:
            self.subscribed.set()

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        try:
            try:
                topic = message.topic
            except UnicodeDecodeError:
                topic = "<topic is not UTF-8>"
            self.receive(
                topic,
                bytes(message.payload),
                mid=message.mid,
                qos=message.qos,
                properties=message.properties,
            )
        except Exception:
            # receive() does not raise; this guard is for the loop, which an escaping exception
            # would kill.
            logger.exception("Unexpected error while receiving an MQTT message.")


def _publisher_id(properties: Properties | None) -> str | None:
    """The publisher's client id when it states one in an MQTT 5 user property (`client_id`)."""
    for key, value in getattr(properties, "UserProperty", None) or ():
        if key == "client_id":
            return str(value)[:200]
    return None
