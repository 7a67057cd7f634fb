"""Exponential backoff with jitter, for reconnects and store retries."""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from `minimum` to `maximum`, with up to 20 % jitter; `reset()` on success.

    Jitter keeps a fleet of consumers from retrying a recovering broker or database in lockstep.
    """

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.attempts = 0

    def next_delay(self) -> float:
        """The delay before the next attempt, and count the attempt."""
        delay = min(self.maximum, self.minimum * (2 ** min(self.attempts, 30)))
        self.attempts += 1
        return delay * (1 - 0.2 * random.random())

    def reset(self) -> None:
        self.attempts = 0
