"""Query many metric references at once, each with its own time limit.

A tick needs every metric of a group (and, with 1,000 groups, many ticks run at
once). :func:`query_all` asks all of them concurrently on the running asyncio loop,
gives each query ``timeout`` seconds, and always returns one sample per request, in
order: a query that times out or a source that breaks its contract by raising
becomes an error sample, so one slow metric never delays or kills the tick.
Identical requests (the same source object and reference) are asked once.
``limit`` bounds how many queries are in flight, so a large controller does not open
a connection per metric against one Prometheus.

Example::

    cpu, rps = await query_all([(prom, "avg(cpu)"), (prom, "sum(rate(http_requests_total[1m]))")],
                               now=clock.now(), timeout=2.0)
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import datetime

from autoscaler.metrics._sample import MetricSample, MetricsError, MetricSource

__all__ = ["query_all"]


async def _one(
    source: MetricSource, ref: str, now: datetime, timeout: float, gate: asyncio.Semaphore | None
) -> MetricSample:
    try:
        if gate is None:
            return await asyncio.wait_for(source.query(ref, now=now), timeout)
        async with gate:
            return await asyncio.wait_for(source.query(ref, now=now), timeout)
    except TimeoutError:
        return MetricSample.error(f"timed out after {timeout:g} s")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a source must not raise; one that does must not stop the tick
        return MetricSample.error(f"source raised {type(exc).__name__}: {exc}")


async def query_all(
    requests: Sequence[tuple[MetricSource, str]],
    *,
    now: datetime,
    timeout: float,
    limit: int | None = None,
) -> list[MetricSample]:
    """One sample per ``(source, ref)`` request, in order; never raises for a failed query."""
    if not timeout > 0 or not math.isfinite(timeout):
        raise MetricsError(f"timeout: must be a finite number of seconds > 0 (got {timeout})")
    if limit is not None and limit < 1:
        raise MetricsError(f"limit: must be >= 1 (got {limit})")
    gate = asyncio.Semaphore(limit) if limit is not None else None
    unique: dict[tuple[int, str], tuple[MetricSource, str]] = {}
    for source, ref in requests:
        unique.setdefault((id(source), ref), (source, ref))
    keys = list(unique)
    samples = await asyncio.gather(*(_one(*unique[key], now, timeout, gate) for key in keys))
    by_key = dict(zip(keys, samples, strict=True))
    return [by_key[(id(source), ref)] for source, ref in requests]
