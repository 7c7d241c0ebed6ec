"""What bench/run and bench/baseline share: one operation under load, and its numbers.

Both measure alike, so that their tables can be set side by side: a warm-up at the same
concurrency first (caches, prepared statements, and every connection of the client's and
the database's pools opened), then `requests` calls shared by `concurrency` workers;
requests per second over the whole run, latency percentiles over the calls."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

WARM_UP = 5  # calls at least, and one per worker


@dataclass(frozen=True)
class Load:
    rps: float
    p50: float  # milliseconds
    p95: float
    p99: float


async def measure(operation: Callable[[], Awaitable[Any]], concurrency: int, requests: int) -> Load:
    await _run(operation, concurrency, min(requests, max(WARM_UP, concurrency)))
    latencies, elapsed = await _run(operation, concurrency, requests)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Load(len(latencies) / elapsed, cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000)


async def _run(operation: Callable[[], Awaitable[Any]], concurrency: int, requests: int) -> tuple[list[float], float]:
    """`requests` calls by `concurrency` workers: each call's seconds, and the run's."""
    latencies: list[float] = []
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            await operation()
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


def concurrencies(text: str) -> list[int]:
    return [int(c) for c in text.split(",")]


HEADER = f"{'op':<4} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"


def row(name: str, concurrency: int, load: Load) -> str:
    return f"{name:<4} {concurrency:>4} {load.rps:>9.1f} {load.p50:>8.1f} {load.p95:>8.1f} {load.p99:>8.1f}"
