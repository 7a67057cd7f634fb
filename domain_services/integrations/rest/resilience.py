"""What keeps a call to a remote domain short when the remote service is not well.

- `Deadline`: the time one remote call may take, across all its attempts and backoff pauses.
  Each attempt gets a urllib3 `Timeout` whose `total` is what is left of the budget, so the
  connect time and the wait for the answer together never outlast it.
- `CircuitBreaker`: after `failures` consecutive failed attempts it opens for `cooldown`
  seconds, during which calls fail at once without touching the network; then one trial call
  goes through (half-open): its success closes the circuit, its failure opens it again.
- `PerProcess`: state shared by the threads of one process (pooled sessions, breakers) and
  forgotten in a forked child, which must neither reuse its parent's sockets nor inherit a
  lock a parent's thread held at the fork, nor its parent's view of a peer's health.

The breaker is written here rather than taken from pybreaker, the maintained library for it:
pybreaker holds its lock for the whole protected call, so the threads of a worker would call a
domain one at a time (docs/rest.md, "Resilience", has the measurements and the other
candidates). The lock below guards a few counters only, never a call.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from urllib3.util import Timeout

logger = logging.getLogger("domain_services.rest.client")

K = TypeVar("K")
V = TypeVar("V")


class Deadline:
    """The moment a call must be over by, `seconds` from now (monotonic clock)."""

    __slots__ = ("_at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._at - time.monotonic())

    def timeout(self, connect: float, read: float) -> Timeout | None:
        """The timeouts of the next attempt, cut to what is left; None once nothing is left."""
        left = self.remaining()
        if left <= 0:
            return None
        # `total` makes urllib3 give the read only what the connect left of the budget.
        return Timeout(connect=min(connect, left), read=min(read, left), total=left)

    def allows_pause(self, seconds: float) -> bool:
        """Would an attempt still have time after a pause of `seconds`?"""
        return seconds < self.remaining()


class Admission(enum.Enum):
    """What `CircuitBreaker.admit` decided about one attempt."""

    REFUSED = "refused"  # the circuit is open: do not call
    CALL = "call"  # the circuit is closed: call
    TRIAL = "trial"  # the cool-down is over: this is the one trial call


CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    """Stops calling a peer that keeps failing, for a short cool-down (thread-safe).

    Attempts report back with `succeeded`, `failed` or, when they ended with no verdict on the
    peer (the caller was interrupted), `abandoned`. Only failures of the peer count: a refused
    connection, a timeout, a 5xx answer. Any answer below 500 proves the peer is there.
    """

    def __init__(
        self,
        name: str,
        *,
        failures: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = failures
        self.cooldown = cooldown
        self.failures = 0  # consecutive, since the last success
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None  # None: closed
        self._trial = False  # the half-open trial call is under way

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name} {self.state}, {self.failures} failures>"

    @property
    def state(self) -> str:
        """`closed`, `open` (refusing, cooling down) or `half-open` (a trial may go or is out)."""
        opened_at = self._opened_at
        if opened_at is None:
            return CLOSED
        return OPEN if self._clock() - opened_at < self.cooldown else HALF_OPEN

    def retry_in(self) -> float:
        """Seconds until the next trial call may go (0 when it may go now or is under way)."""
        opened_at = self._opened_at
        if opened_at is None:
            return 0.0
        return max(0.0, opened_at + self.cooldown - self._clock())

    def admit(self) -> Admission:
        """May an attempt go now? (`REFUSED` costs no network and no waiting.)"""
        if self._opened_at is None:  # the common case, without the lock
            return Admission.CALL
        with self._lock:
            if self._opened_at is None:
                return Admission.CALL
            if self._trial or self._clock() - self._opened_at < self.cooldown:
                return Admission.REFUSED
            self._trial = True
            return Admission.TRIAL

    def succeeded(self, admission: Admission) -> None:
        """The peer answered: the circuit closes, the failure count starts again."""
        if self._opened_at is None and not self.failures:
            return
        with self._lock:
            if self._opened_at is not None:
                logger.info("circuit of %s closed again: the peer answers", self.name)
            self._opened_at = None
            self._trial = False
            self.failures = 0

    def failed(self, admission: Admission) -> None:
        """The peer failed (connection, timeout, 5xx): count it, open the circuit at the limit."""
        with self._lock:
            self.failures += 1
            if admission is Admission.TRIAL:
                self._trial = False
                self._open("its trial call failed")
            elif self._opened_at is None and self.failures >= self.threshold:
                self._open(f"{self.failures} consecutive failures")
            # An attempt let through before the circuit opened that fails now changes nothing.

    def abandoned(self, admission: Admission) -> None:
        """The attempt ended without telling anything about the peer: free the trial slot."""
        if admission is Admission.TRIAL:
            with self._lock:
                self._trial = False

    def _open(self, why: str) -> None:
        self._opened_at = self._clock()
        logger.warning(
            "circuit of %s open for %.1fs after %s: calls fail at once",
            self.name,
            self.cooldown,
            why,
        )


class PerProcess(Generic[K, V]):
    """One object per key in this process, made on first use, shared by its threads.

    In a forked child (gunicorn `--preload`, multiprocessing) everything is forgotten: the
    child makes its own objects rather than share its parent's sockets or state.
    """

    def __init__(self, make: Callable[[K], V], close: Callable[[V], object] | None = None) -> None:
        self._make = make
        self._close = close
        self._lock = threading.Lock()
        self._objects: dict[K, V] = {}
        self._pid = os.getpid()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.forget)

    def get(self, key: K) -> V:
        """The object for `key`, made once per process."""
        found = self._objects.get(key)
        if found is not None and self._pid == os.getpid():
            return found
        with self._lock:
            if self._pid != os.getpid():  # forked where `register_at_fork` does not exist
                self._objects = {}
                self._pid = os.getpid()
            found = self._objects.get(key)
            if found is None:
                found = self._objects[key] = self._make(key)
            return found

    def clear(self) -> None:
        """Drop (and close) every object: tests, and shutting a worker down cleanly."""
        with self._lock:
            objects, self._objects = list(self._objects.values()), {}
        if self._close is not None:
            for obj in objects:
                self._close(obj)

    def forget(self) -> None:
        """Start again with nothing, without closing what the parent process still uses."""
        # A fresh lock too: a parent's thread may have held the old one at the fork.
        self._lock = threading.Lock()
        self._objects = {}
        self._pid = os.getpid()


def _new_breaker(key: tuple[str, str, int, float]) -> CircuitBreaker:
    domain, base_url, failures, cooldown = key
    return CircuitBreaker(f"{domain} at {base_url}", failures=failures, cooldown=cooldown)


breakers: PerProcess[tuple[str, str, int, float], CircuitBreaker] = PerProcess(_new_breaker)
"""The breakers of this process: one per (domain, base URL, failures, cooldown)."""
