"""Device clocks: how far ahead of the store's clock a device's own timestamp may be.

Last write wins by the device's timestamp, so a device whose clock runs years ahead would win
every later comparison and freeze its own status: a timestamp more than `MAX_CLOCK_SKEW` ahead
is refused, by the status schema and by the status store alike.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

MAX_CLOCK_SKEW = timedelta(days=1)


class _SkewLimit:
    """`now + MAX_CLOCK_SKEW`, read from the clock at most once a second: the allowance is a
    day, and reading the clock for every status report would cost more than the check."""

    __slots__ = ("_at", "_limit")

    def __init__(self) -> None:
        self._at = -1.0
        self._limit = datetime.min.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        now = time.monotonic()
        if now - self._at >= 1.0 or now < self._at:
            self._limit = datetime.now(UTC) + MAX_CLOCK_SKEW
            self._at = now
        return self._limit


#: The latest device timestamp accepted now (`now + MAX_CLOCK_SKEW`, to the second).
latest_device_time = _SkewLimit()
