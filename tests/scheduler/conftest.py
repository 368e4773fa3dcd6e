"""The scheduler's timing tests allow for a slower machine.

A test that asserts a solve answers within so many seconds asserts the solver's own share (the time
limit it was given) exactly, and scales the rest (the work no deadline can skip: preparing the
instance, a first schedule, writing it out) by ``pace``: how much slower than the machine the
figures were set on this one is running a fixed piece of the same kind of Python work right now.
"""
from __future__ import annotations

import random
import statistics
import time

import pytest

# The reference work's time on the 2-core machine the figures were set on, at a quiet hour.
REFERENCE_SECONDS = 0.036


def reference_work() -> int:
    """Lists, dictionaries, a loop and a keyed sort: what preparation and the greedy spend time on."""
    rng = random.Random(0)
    values = [rng.random() for _ in range(100_000)]
    totals: dict[int, float] = {}
    for i, x in enumerate(values):
        key = i % 4099
        totals[key] = totals.get(key, 0.0) + x
    ranked = sorted(range(len(values)), key=values.__getitem__)
    return len(ranked) + len(totals)


def measure_pace(runs: int = 3) -> float:
    """How many times slower than the reference machine this one is now (never below 1)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        reference_work()
        times.append(time.perf_counter() - began)
    return max(1.0, statistics.median(times) / REFERENCE_SECONDS)


class Pace:
    """Measured before and after the timed work, so a machine slowed during it is seen too."""

    def __init__(self) -> None:
        self.before = measure_pace()

    def seconds(self, limit: float, work: float) -> float:
        """The limit as given, plus ``work`` seconds of unskippable work at the slower pace seen."""
        return limit + work * max(self.before, measure_pace())


@pytest.fixture
def pace() -> Pace:
    return Pace()
