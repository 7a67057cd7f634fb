"""The relay: publishes each outbox's events, oldest first, and deletes what the broker confirmed.

The loop is broker-agnostic: a `Transport` publishes a batch and returns only once every message
is confirmed (MQTT QoS 1 PUBACKs: `domain_services.integrations.mqtt.events.MQTTTransport`), or
raises. Guarantees, and how:

- **Nothing committed is lost.** A row leaves the outbox only in the transaction (PostgreSQL) or
  after the moment (other databases) the broker confirmed its message. A broker that is down,
  a publish that times out, a relay killed mid-batch: the rows stay and are published later.
- **At least once; the consumer makes it once in effect.** A batch published but not deleted
  (killed between the two) is published again; every payload carries its event id, and
  consumers deduplicate by it.
- **Several relays on PostgreSQL** share the work without publishing an event twice: they
  claim rows with `FOR UPDATE SKIP LOCKED` (see `outbox.claim`). On SQLite, run one.
- **The broker is kept busy.** A round claims up to `batches_per_round` batches in one
  transaction and sends each before waiting for the previous one's acknowledgements.
- **Order.** Each relay publishes in sequence order over one connection. With several relays,
  events of one object may be published out of order; the payload's `sequence` tells
  consumers which is newer.
- **SIGTERM-safe.** The batch in hand is finished (published and deleted, or left for the next
  run) before `run()` returns.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any, Protocol

from django.db import DatabaseError, connections

from domain_services import errors
from domain_services.events import outbox
from domain_services.events.outbox import Message

logger = logging.getLogger(__name__)

# The longest the relay sleeps without looking at its stop flag.
_SLEEP_SLICE = 0.1


class Transport(Protocol):
    """Where the relay publishes: in order, each batch confirmed, or an exception.

    `send` starts publishing a batch and returns at once with a receipt; `confirm(receipt)`
    returns once the broker acknowledged every message of it, or raises `Unavailable` (or
    `PermissionDenied`). The relay sends the next batch before confirming the previous one, so
    the broker is never idle while the relay waits.
    """

    @property
    def is_connected(self) -> bool: ...

    def send(self, messages: Sequence[Message]) -> Any: ...

    def confirm(self, receipt: Any) -> None: ...


@dataclass(slots=True)
class RelayStats:
    """Counters since start, logged every `LOG_INTERVAL` seconds and at exit."""

    published: int = 0
    batches: int = 0
    publish_failures: int = 0
    database_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.as_dict().items())


class Relay:
    """Publish the outboxes of `databases` through `transport` until `stop()`."""

    def __init__(
        self,
        transport: Transport,
        *,
        databases: Sequence[str],
        prefix: str,
        batch_size: int = 500,
        batches_per_round: int = 4,
        poll_interval: float = 0.2,
        log_interval: float = 60.0,
        retry_min_delay: float = 0.2,
        retry_max_delay: float = 10.0,
    ) -> None:
        self.transport = transport
        self.databases = list(databases)
        self.prefix = prefix
        self.batch_size = batch_size
        self.batches_per_round = batches_per_round
        self.poll_interval = poll_interval
        self.log_interval = log_interval
        self.retry_min_delay = retry_min_delay
        self.retry_max_delay = retry_max_delay
        self.stats = RelayStats()
        self._stopping = False
        for alias in self.databases:
            if alias not in connections:
                raise errors.ValidationFailed.for_field(
                    "databases", f"{alias!r} is not an alias of DATABASES."
                )

    def stop(self) -> None:
        """Finish the batch in hand, then return from `run()`. Safe from a signal handler."""
        self._stopping = True

    def relay_once(self, alias: str) -> int:
        """Publish and delete one round (up to `batches_per_round` batches) from `alias`'s
        outbox; how many events it held.

        Raises what the transport or the database raised; what was not confirmed then stays.
        """
        sent = 0
        with outbox.claim(alias, prefix=self.prefix) as claimed:
            in_flight: list[tuple[list[Message], Any]] = []
            try:
                for _ in range(self.batches_per_round):
                    batch = claimed.next(self.batch_size)
                    if batch:
                        in_flight.append((batch, self.transport.send(batch)))
                    if len(in_flight) > 1:
                        sent += self._confirm(claimed, *in_flight.pop(0))
                    if len(batch) < self.batch_size:
                        break
                while in_flight:
                    sent += self._confirm(claimed, *in_flight.pop(0))
            except Exception:
                self.stats.publish_failures += 1
                raise
        self.stats.published += sent
        return sent

    def _confirm(self, claimed: outbox.Claimed, batch: list[Message], receipt: Any) -> int:
        self.transport.confirm(receipt)
        claimed.done(batch)
        self.stats.batches += 1
        return len(batch)

    def drain(self) -> int:
        """Publish everything waiting now, from every database (tests, benchmarks)."""
        total = 0
        for alias in self.databases:
            while True:
                sent = self.relay_once(alias)
                total += sent
                if sent < self.batch_size * self.batches_per_round:
                    break
        return total

    def run(self, *, install_signal_handlers: bool = True) -> RelayStats:
        """Relay until `stop()` (SIGTERM/SIGINT); return the counters."""
        previous = self._install_signal_handlers() if install_signal_handlers else {}
        delay = self.retry_min_delay
        next_log = time.monotonic() + self.log_interval
        logger.info(
            "Event relay started: outboxes on %s, batches of %d.",
            ", ".join(self.databases),
            self.batch_size,
        )
        try:
            while not self._stopping:
                try:
                    busy = self._one_round()
                except errors.DomainError as exc:
                    logger.warning("Event relay: publish failed (%s); retrying.", exc)
                    self._sleep(delay)
                    delay = min(self.retry_max_delay, delay * 2)
                    continue
                except DatabaseError as exc:
                    self.stats.database_errors += 1
                    logger.warning("Event relay: database error (%s); retrying.", exc)
                    for alias in self.databases:
                        connections[alias].close()
                    self._sleep(delay)
                    delay = min(self.retry_max_delay, delay * 2)
                    continue
                delay = self.retry_min_delay
                if not busy:
                    self._sleep(self.poll_interval)
                if time.monotonic() >= next_log:
                    logger.info("Event relay: %s", self.stats.summary())
                    next_log = time.monotonic() + self.log_interval
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        logger.info("Event relay stopped: %s", self.stats.summary())
        return self.stats

    def _one_round(self) -> bool:
        """One batch from each outbox; True when one was full (more is waiting)."""
        if not self.transport.is_connected:
            # Rows are not claimed (and not locked) while nothing can be published.
            self._sleep(self.poll_interval)
            return False
        full = False
        for alias in self.databases:
            if self._stopping:
                break
            full |= self.relay_once(alias) == self.batch_size * self.batches_per_round
        return full

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, _SLEEP_SLICE))

    def _install_signal_handlers(self) -> dict[int, Any]:
        def handle(signum: int, frame: FrameType | None) -> None:
            logger.info("Received %s; finishing the current batch.", signal.Signals(signum).name)
            self.stop()

        return {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}
