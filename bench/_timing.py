"""Timing helpers shared by the benchmarks: repeat a call, keep every sample, summarise."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Samples in seconds."""

    name: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]

    @property
    def best(self) -> float:
        return min(self.samples)

    def row(self) -> str:
        return (
            f"{self.name:<34} median {self.median * 1e3:8.2f} ms   p90 {self.p90 * 1e3:8.2f} ms"
            f"   min {self.best * 1e3:8.2f} ms   (n={len(self.samples)})"
        )


def measure(name: str, fn: Callable[[], object], *, warmup: int, reps: int) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)


async def measure_async(
    name: str, fn: Callable[[], Awaitable[object]], *, warmup: int, reps: int
) -> Timing:
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)
