"""Timing helpers shared by the benchmarks: repeat a call, keep every sample, summarise."""

from __future__ import annotations

import inspect
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
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


async def measure_interleaved(
    fns: Mapping[str, Callable[[], object]], *, warmup: int, reps: int
) -> dict[str, Timing]:
    """Time several calls (plain or async) round-robin: each repetition runs every one once,
    in turn, so a noisy neighbour on a shared machine slows them all alike and their ratio
    holds even when absolute times drift."""

    async def call(fn: Callable[[], object]) -> None:
        result = fn()
        if inspect.isawaitable(result):
            await result

    for _ in range(warmup):
        for fn in fns.values():
            await call(fn)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            start = time.perf_counter()
            await call(fn)
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(name, values) for name, values in samples.items()}
