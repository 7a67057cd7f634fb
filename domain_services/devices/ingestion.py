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
  in handling, becomes a dead letter with a reason (and the device's EUI whenever the topic
  named a valid one), and is acked.
- **A store outage stops the stream, not the consumer.** While the store raises `Unavailable`
  the batch is retried with backoff and nothing is acked. The broker stops sending at the
  consumer's MQTT 5 Receive Maximum (two batches); in case a broker does not keep to it, the
  consumer stops reading by itself once it holds `max_held` unacknowledged messages. The
  connection stays up meanwhile (keepalives are answered), so an outage longer than the
  keepalive costs no reconnect and no redelivery.

Two threads, so that reading never waits for a write. paho's network thread (`loop_start()`)
reads each message, validates it in one pass (`StatusDecoder`) and adds it to the pending
batch, which keeps each device's newest update only; the thread that called `run()` writes a
batch once it is full or old enough, then acks it. While one batch is being written the next
one fills; under a backlog it goes on filling while it grows, so batches grow and more updates
per device merge into one write. Batches are written one at a time, so acks keep arrival order.
"""

from __future__ import annotations

import functools
import gc
import logging
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any, Protocol

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from domain_services import errors
from domain_services.devices.dead_letters import DeadLetter
from domain_services.devices.eui import normalize_eui
from domain_services.devices.status_schema import Reason, StatusDecoder, StatusRejected
from domain_services.devices.status_store import StatusUpdate
from domain_services.integrations.mqtt.acks import Acker, ack_in_order
from domain_services.integrations.mqtt.backoff import Backoff
from domain_services.integrations.mqtt.client import connect_async, create_client
from domain_services.integrations.mqtt.direct import DirectClient
from domain_services.integrations.mqtt.router import TopicRouter
from domain_services.integrations.mqtt.settings import MQTTConfig, load_config

logger = logging.getLogger(__name__)

STATUS_PATTERN = "devices/{eui}/status"
# The longest the writer sleeps without looking at its stop flag (a signal handler cannot wake
# it: the handler runs on the same thread, which may hold the lock a notify needs).
IDLE_LOOP_TIMEOUT = 0.2
# How often the writer looks whether a backlog's batch still grows.
GROWTH_CHECK = 0.005


class BulkOutcome(Protocol):
    """What the store reports for one bulk write (`BulkResult`)."""

    @property
    def applied(self) -> int: ...
    @property
    def stale(self) -> int: ...
    @property
    def failures(self) -> Mapping[int, str]: ...


class StatusSink(Protocol):
    """The status store as the consumer uses it (`DeviceMongoDBService`): it writes the
    `StatusUpdate`s the consumer built from the status schema."""

    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkOutcome: ...


class DeadLetterSink(Protocol):
    """Where refused messages go (`DeadLetterStore`)."""

    def add_many(self, letters: Sequence[DeadLetter]) -> int: ...


@dataclass(slots=True)
class ConsumerStats:
    """Counters since start: logged every `LOG_INTERVAL` seconds and at exit.

    `redelivered` counts messages the broker sent again (MQTT's DUP flag): what a previous run
    or connection received and did not get to acknowledge.
    """

    received: int = 0
    stored: int = 0
    stale: int = 0
    dead_lettered: int = 0
    retried: int = 0
    acked: int = 0
    reconnects: int = 0
    redelivered: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.as_dict().items())


class _Batch:
    """Messages received since the previous batch was taken for writing.

    Acks in arrival order; of the updates, only each device's newest (last write wins: an
    older one would be stale in the same write). Keeping one per device as they arrive, rather
    than all of them until the write, keeps a backlog's batches small in memory and for the
    garbage collector.
    """

    __slots__ = ("acks", "collapsed", "dead", "first_at", "newest")

    def __init__(self) -> None:
        self.acks: list[tuple[int, int, int]] = []  # (mid, qos, connection generation)
        # EUI -> (update, topic, payload): the message is kept to dead-letter it if the store
        # refuses the update.
        self.newest: dict[str, tuple[StatusUpdate, str, bytes]] = {}
        self.collapsed = 0  # updates a newer one for the same device replaced: stale
        self.dead: list[DeadLetter] = []
        self.first_at = 0.0


class StatusConsumer:
    """Consume device status messages into `store`; see the module docstring for guarantees.

    ```python
    consumer = StatusConsumer(store=DeviceMongoDBService(), dead_letters=DeadLetterStore())
    consumer.run()  # until SIGTERM/SIGINT; returns the final ConsumerStats
    ```

    `receive()` and `flush()` are the broker-free core (tests drive them with a fake acker);
    `run()` adds the MQTT connection, the writer loop, retries, signals and periodic counters.
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
        self._decode_status = StatusDecoder(max_bytes=self.max_payload_bytes)
        self.shutdown_grace = options.shutdown_grace
        self.receive_maximum = options.effective_receive_maximum
        if self.config.is_v5 and self.receive_maximum < self.batch_size:
            logger.warning(
                "RECEIVE_MAXIMUM %d is below BATCH_SIZE %d: batches will flush by age only.",
                self.receive_maximum,
                self.batch_size,
            )
        #: Unacknowledged messages at which the consumer stops reading until a write completes:
        #: a bound on memory (about 1.5 KB a message) for brokers that do not keep to the
        #: Receive Maximum (Mosquitto 2.0 sends past it once acks flow) and for MQTT 3.1.1,
        #: which has none. Up to half of it, a backlog makes batches grow, and merge more
        #: updates per device into one write.
        self.max_held = 8 * max(self.receive_maximum, self.batch_size)
        self.router = TopicRouter()
        self.router.add(STATUS_PATTERN, self._status_update)
        self.stats = ConsumerStats()
        self._acker: Acker | None = acker
        self._client: Client | None = None
        # `_lock` guards the two batches: the one filling and the one being written (None
        # between writes). Waiting on `_batch_ready`: the writer; on `_room`: the reader.
        self._lock = threading.Lock()
        self._batch_ready = threading.Condition(self._lock)
        self._room = threading.Condition(self._lock)
        self._batch = _Batch()
        self._writing: _Batch | None = None
        # Bumped when a connection starts or ends: a message id is only valid on the connection
        # it came on. `_ack_lock` keeps a bump from falling between the check and the ack.
        self._generation = 0
        self._ack_lock = threading.Lock()
        self._connected_once = False
        self._redelivery_seen = False  # logged once per connection
        #: Set once the broker has granted every subscription: from then on, messages published
        #: while this client id is away are queued in its session (readiness for probes, tests).
        self.subscribed = threading.Event()
        self._stopping = False
        self._forced = False
        self._draining = False
        self._gave_up = False  # the shutdown grace ran out with the store still down
        self._stop_deadline = 0.0

    # -- the broker-free core ------------------------------------------------------------------

    def subscriptions(self) -> list[tuple[str, int]]:
        """The `(filter, qos)` pairs the consumer subscribes to."""
        return self.router.subscriptions(group=self.shared_group)

    @property
    def pending(self) -> int:
        """Messages received but not yet acked (the batch being written and the next one)."""
        writing = self._writing
        return len(self._batch.acks) + (len(writing.acks) if writing is not None else 0)

    def receive(
        self,
        topic: str,
        payload: bytes,
        *,
        mid: int = 0,
        qos: int = 1,
        properties: Properties | None = None,
        dup: bool = False,
    ) -> None:
        """Validate one message into the pending batch (update or dead letter); never raises."""
        update: StatusUpdate | None = None
        letter: DeadLetter | None = None
        try:
            found = self.router.match(topic)
            if found is None:
                raise StatusRejected(Reason.TOPIC, "expected devices/<eui>/status")
            handler, params = found
            update = handler(params, payload)
        except StatusRejected as exc:
            letter = self._dead_letter(topic, payload, exc.reason, exc.detail, exc.eui, properties)
        except Exception as exc:
            logger.exception(
                "Status handler failed: topic=%r mid=%s qos=%s payload=%r",
                topic,
                mid,
                qos,
                payload[:200],
            )
            detail = f"{type(exc).__name__}: {exc}"
            letter = self._dead_letter(
                topic, payload, Reason.HANDLER_ERROR, detail, None, properties
            )
        with self._lock:
            self.stats.received += 1
            if dup:
                self.stats.redelivered += 1
                if not self._redelivery_seen:
                    self._redelivery_seen = True
                    logger.info(
                        "Receiving redelivered messages: what an earlier run or connection "
                        "received and did not acknowledge."
                    )
            batch = self._batch
            acks = batch.acks
            if not acks:
                batch.first_at = time.monotonic()
                self._batch_ready.notify()  # the writer times the batch from its first message
            acks.append((mid, qos, self._generation))
            if update is not None:
                newest = batch.newest
                seen = newest.get(update.eui)
                if seen is None or update.timestamp > seen[0].timestamp:
                    newest[update.eui] = (update, topic, payload)
                if seen is not None:
                    batch.collapsed += 1
            elif letter is not None:
                batch.dead.append(letter)
            if len(acks) == self.batch_size:
                self._batch_ready.notify()

    def flush(self) -> bool:
        """Write the oldest unwritten batch, then ack it in arrival order.

        Returns False, acking nothing and keeping the batch for the next call, when the store
        is unavailable. Messages received meanwhile wait in the next batch.
        """
        with self._lock:
            batch = self._writing
            if batch is None:
                batch = self._batch
                if not batch.acks:
                    return True
                self._writing, self._batch = batch, _Batch()
        try:
            applied, stale, dead = self._write(batch)
        except errors.Unavailable as exc:
            logger.warning("Status store unavailable (%s); %d messages wait.", exc, self.pending)
            return False
        acked = self._ack(batch)
        stats = self.stats
        stats.stored += applied
        stats.stale += stale
        stats.dead_lettered += dead
        stats.acked += acked
        with self._lock:
            self._writing = None
            self._room.notify()
        return True

    def _status_update(self, params: Mapping[str, str], payload: bytes) -> StatusUpdate:
        try:
            eui = _normalized_eui(params["eui"])
        except errors.ValidationFailed as exc:
            raise StatusRejected(Reason.EUI, exc.message) from None
        try:
            return self._decode_status.update(eui, payload)
        except StatusRejected as exc:
            # The topic named a valid device: its dead letter says which, whatever the fault.
            exc.eui = eui
            raise
        except errors.ValidationFailed as exc:
            raise StatusRejected(Reason.STORE_RULES, exc.message, eui=eui) from None
        except Exception as exc:
            logger.exception("Status handler failed for %s: payload=%r", eui, payload[:200])
            detail = f"{type(exc).__name__}: {exc}"
            raise StatusRejected(Reason.HANDLER_ERROR, detail, eui=eui) from exc

    def _dead_letter(
        self,
        topic: str,
        payload: bytes,
        reason: str,
        detail: str,
        eui: str | None,
        properties: Properties | None,
    ) -> DeadLetter:
        return DeadLetter.create(
            topic=topic,
            payload=payload,
            reason=reason,
            detail=detail,
            eui=eui,
            client_id=_publisher_id(properties),
        )

    def _write(self, batch: _Batch) -> tuple[int, int, int]:
        applied, stale = 0, batch.collapsed
        dead = list(batch.dead)
        if batch.newest:
            written = list(batch.newest.values())
            try:
                result = self.store.bulk_update([update for update, _, _ in written])
            except errors.Unavailable:
                raise
            except errors.DomainError:
                # A batch the store refuses as a whole (e.g. a value BSON cannot encode): write
                # one by one so only the poisoned update is dead-lettered.
                return self._write_one_by_one(written, stale, dead)
            applied, stale = result.applied, stale + result.stale
            for index, message in result.failures.items():
                dead.append(self._rejected_by_store(written[index], message))
        if dead:
            self.dead_letters.add_many(dead)
        return applied, stale, len(dead)

    def _write_one_by_one(
        self,
        written: list[tuple[StatusUpdate, str, bytes]],
        stale: int,
        dead: list[DeadLetter],
    ) -> tuple[int, int, int]:
        applied = 0
        for message in written:
            try:
                result = self.store.bulk_update([message[0]])
            except errors.Unavailable:
                raise
            except errors.DomainError as exc:
                dead.append(self._rejected_by_store(message, exc.message))
                continue
            applied += result.applied
            stale += result.stale
            dead.extend(self._rejected_by_store(message, m) for m in result.failures.values())
        if dead:
            self.dead_letters.add_many(dead)
        return applied, stale, len(dead)

    def _rejected_by_store(
        self, message: tuple[StatusUpdate, str, bytes], detail: str
    ) -> DeadLetter:
        update, topic, payload = message
        eui = update.eui
        logger.error("The status store refused the update for %s: %s", eui, detail)
        return DeadLetter.create(
            topic=topic, payload=payload, reason=Reason.STORE_REJECTED, detail=detail, eui=eui
        )

    def _ack(self, batch: _Batch) -> int:
        acker = self._acker or self._client
        if acker is None:
            return 0
        with self._ack_lock:
            generation = self._generation
            # A message from an earlier connection is redelivered on a later one with its own
            # id; acking its old id there could ack a different message.
            current = [(mid, qos) for mid, qos, gen in batch.acks if qos and gen == generation]
            ack_in_order(acker, current)
        return len(current)

    # -- running against a broker --------------------------------------------------------------

    def stop(self) -> None:
        """Ask `run()` to write and ack what it holds, disconnect and return.

        Safe from a signal handler. A second call gives up waiting for a store that is down.
        """
        if self._stopping:
            self._forced = True
            return
        self._stop_deadline = time.monotonic() + self.shutdown_grace
        self._stopping = True

    def run(self, *, install_signal_handlers: bool = True) -> ConsumerStats:
        """Consume until `stop()` (SIGTERM/SIGINT); return the final counters."""
        previous = self._install_signal_handlers() if install_signal_handlers else {}
        client = self._client = self._make_client()
        client.loop_start()
        try:
            self._write_until_stopped()
            self._shutdown(client)
        finally:
            self._draining = True
            with self._lock:
                self._room.notify_all()
            client.loop_stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        logger.info("Status ingestion stopped: %s", self.stats.summary())
        return self.stats

    def _write_until_stopped(self) -> None:
        log_interval = self.config.consumer.log_interval
        monotonic = time.monotonic
        next_log = monotonic() + log_interval
        batch_size, flush_interval = self.batch_size, self.flush_interval
        backlog_batch = max(batch_size, self.max_held // 2)
        ready_or_not = self._batch_ready
        free_since = 0.0
        last_count = 0
        while not self._stopping:
            with self._lock:
                batch = self._batch
                count = len(batch.acks)
                timeout = IDLE_LOOP_TIMEOUT
                if count:
                    # A batch's age counts from when the writer could take it.
                    wait = max(batch.first_at, free_since) + flush_interval - monotonic()
                    if batch.first_at >= free_since:
                        write = count >= batch_size or wait <= 0
                    else:
                        # It began while the previous one was being written: a backlog. It
                        # fills for as long as it grows (checked every GROWTH_CHECK seconds),
                        # up to FLUSH_INTERVAL or half of max_held, so more updates per device
                        # merge into one write; once the stream pauses it is written at once.
                        write = count >= backlog_batch or wait <= 0 or count == last_count
                        timeout = GROWTH_CHECK
                    if not write:
                        last_count = count
                        ready_or_not.wait(min(wait, timeout))
                        count = 0
                else:
                    ready_or_not.wait(timeout)
            if count:
                last_count = 0
                self._flush_with_retry()
                free_since = monotonic()
            if monotonic() >= next_log:
                logger.info("Status ingestion: %s", self.stats.summary())
                next_log += log_interval

    def _make_client(self) -> DirectClient:
        client = create_client(
            self.config,
            client_id=self.client_id,
            persistent=True,
            manual_ack=True,
            client_class=DirectClient,
        )
        # The callbacks catch everything themselves; this keeps a bug in one from ever killing
        # the network thread (with manual acks, paho acks nothing on an exception).
        client.suppress_exceptions = True
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish_received = self._on_publish
        # QoS 2 stays with paho (the subscriptions ask for QoS 1, so only a broker that ignores
        # them sends it): taken the same way, and acked with a PUBCOMP after the write.
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        # Stores host, session and CONNECT properties; paho's loop reuses them to reconnect.
        connect_async(client, self.config, persistent=True, receive_maximum=self.receive_maximum)
        return client

    def _flush_with_retry(self) -> bool:
        backoff = Backoff(
            self.config.consumer.retry_min_delay, self.config.consumer.retry_max_delay
        )
        while not self._gave_up:
            if self.flush():
                return True
            self.stats.retried += 1
            delay = backoff.next_delay()
            if self._stopping:
                left = self._stop_deadline - time.monotonic()
                if self._forced or left <= 0:
                    self._gave_up = True
                    logger.error(
                        "Stopping with %d messages unwritten and unacked; the broker keeps them "
                        "for the next run.",
                        self.pending,
                    )
                    break
                delay = min(delay, left)
            self._sleep(delay)
        return False

    def _shutdown(self, client: Client) -> None:
        # What arrives from now on is left unacknowledged: the broker sends it to the next run.
        self._draining = True
        logger.info("Stopping status ingestion: writing %d pending messages.", self.pending)
        # At most two batches are held: the one a failed write left, and the one filling.
        for _ in range(2):
            if not self.pending or not self._flush_with_retry():
                break
        client.disconnect()

    def _sleep(self, seconds: float) -> None:
        # Never past the shutdown deadline, even when a stop arrives in the middle of a sleep.
        deadline = time.monotonic() + seconds
        while not self._forced:
            end = min(deadline, self._stop_deadline) if self._stopping else deadline
            remaining = end - time.monotonic()
            if remaining <= 0:
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

    # -- paho callbacks (on paho's network thread; they must never raise) -----------------------

    def _on_publish(
        self,
        topic: bytes,
        payload: bytes,
        mid: int,
        qos: int,
        dup: bool,
        properties: Properties | None,
    ) -> None:
        try:
            if self._draining:
                return
            if self.pending >= self.max_held:
                self._wait_for_room()
            try:
                name = topic.decode()
            except UnicodeDecodeError:
                name = "<topic is not UTF-8>"
            self.receive(name, payload, mid=mid, qos=qos, properties=properties, dup=dup)
        except Exception:
            # receive() does not raise; this guard is for the network thread.
            logger.exception("Unexpected error while receiving an MQTT message.")

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        # paho's own reader: QoS 2 only (see _make_client).
        topic, payload = message._topic, bytes(message.payload)
        self._on_publish(topic, payload, message.mid, message.qos, message.dup, message.properties)

    def _wait_for_room(self) -> None:
        # Not returning is what stops reading: TCP then makes the broker hold the rest.
        logger.debug("Holding %d unacknowledged messages: reading pauses.", self.pending)
        with self._lock:
            while self.pending >= self.max_held and not (self._stopping or self._draining):
                self._room.wait(IDLE_LOOP_TIMEOUT)

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        try:
            self._connected(client, flags, reason_code, properties)
        except Exception:
            logger.exception("Unexpected error on connecting to the MQTT broker.")

    def _connected(
        self,
        client: Client,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.config.url, reason_code)
            return
        with self._ack_lock:
            self._generation += 1
        self._redelivery_seen = False
        if self._connected_once:
            self.stats.reconnects += 1
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


def freeze_startup_objects() -> None:
    """Move everything alive now out of the cyclic garbage collector's sight.

    For a process that runs a consumer until it stops (`manage.py mqtt_consume`), called
    before it connects: Django, settings, modules and clients live as long as the process, and
    each collection then scans only what the stream allocates (measured: some 7 µs of CPU less
    per message). Not done by `StatusConsumer.run()`, since a process that embeds a consumer
    owns its own objects.
    """
    gc.collect()
    gc.freeze()


# A device's topic names its EUI the same way every time: normalise each spelling once.
_normalized_eui = functools.lru_cache(maxsize=1 << 15)(normalize_eui)


def _publisher_id(properties: Properties | None) -> str | None:
    """The publisher's client id when it states one in an MQTT 5 user property (`client_id`)."""
    for key, value in getattr(properties, "UserProperty", None) or ():
        if key == "client_id":
            return str(value)[:200]
    return None
