"""The one output format of `make bench`: `BENCH <name> ratio=<r> target=<op><t> <details>`."""

from __future__ import annotations

import time
from collections.abc import Callable


def bench_line(name: str, ratio: float, target: str, **details: object) -> str:
    """Format one benchmark result; `target` is like ">=0.8" or "<=1.15"."""
    extra = " ".join(f"{key}={_fmt(value)}" for key, value in details.items())
    return f"BENCH {name} ratio={ratio:.2f} target={target} {extra}".rstrip()


def report(name: str, ratio: float, target: str, **details: object) -> None:
    print(bench_line(name, ratio, target, **details), flush=True)


def best_of(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """The fastest of `repeat` runs of `fn`, in seconds (the least disturbed by a noisy machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved(
    subject: Callable[[], object], baseline: Callable[[], object], *, repeat: int = 7
) -> tuple[float, float]:
    """Best times of `subject` and `baseline`, run alternately so both see the same machine."""
    best_subject = best_baseline = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        baseline()
        best_baseline = min(best_baseline, time.perf_counter() - start)
        start = time.perf_counter()
        subject()
        best_subject = min(best_subject, time.perf_counter() - start)
    return best_subject, best_baseline


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 100 else f"{value:.3g}"
    return str(value)
