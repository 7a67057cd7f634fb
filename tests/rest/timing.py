"""Timing a call in the REST resilience tests, tolerant of a busy two-core machine.

A wall-clock bound proves a call did not wait for what it should not (a 3 s answer, ten
retries); `MARGIN` is what a loaded machine may add to a bound (a stall of half a second has
been seen in a full suite run). Tests that must prove an exact timeout check the timeout handed
to the session as well, which no load can disturb.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

MARGIN = 1.0


def elapsed(call: Callable[[], object]) -> tuple[float, Any]:
    """Seconds `call` took, and what it returned or the exception it raised."""
    start = time.monotonic()
    try:
        result: Any = call()
    except Exception as exc:
        result = exc
    return time.monotonic() - start, result
