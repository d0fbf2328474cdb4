"""Repeat a measurement and keep its median, so a loaded 2-core machine gives stable figures."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Sequence[float])


def runs(default: int) -> int:
    """How many times to measure: `BENCH_RUNS` from the environment, else `default`."""
    return max(1, int(os.environ.get("BENCH_RUNS", default)))


def median_of(n: int, measure: Callable[[], T]) -> tuple[list[float], str]:
    """Each figure's median over `n` measurements, and the spread of the first one (`min-max`)."""
    samples = [measure() for _ in range(n)]
    medians = [statistics.median(s[i] for s in samples) for i in range(len(samples[0]))]
    first = sorted(s[0] for s in samples)
    return medians, f"median of {n}, {first[0]:.2f}-{first[-1]:.2f}"
