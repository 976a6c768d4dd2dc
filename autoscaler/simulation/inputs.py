"""Demand for a replay from metric history: a Prometheus range query as a :class:`Trace`.

A CSV trace is read by :func:`autoscaler.simulation.workload.load_trace`. Metric
history from Prometheus comes on the query's own grid with NaN where the series had
no value; :func:`trace_from_samples` puts it on the replay's 60 s grid the same way
(step-wise hold from the first to the last value, a gap holds the last value), so
both inputs give the same replay for the same data.

Example::

    async with PrometheusSource(PrometheusSettings(url="http://prom:9090")) as prom:
        trace = await prometheus_trace(prom, "sum(rate(http_requests_total[1m]))",
                                       start=t0, end=t1, step=timedelta(minutes=1))
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from autoscaler.metrics import MetricsError, PrometheusSource
from autoscaler.simulation.workload import GRID_SECONDS, Trace

__all__ = ["prometheus_trace", "trace_from_samples"]

FloatArray = npt.NDArray[np.float64]


def trace_from_samples(name: str, timestamps: FloatArray, values: FloatArray) -> Trace:
    """Hold ``values`` (NaN: no value) step-wise onto the 60 s grid; raises ``ValueError`` naming the field."""
    if timestamps.shape != values.shape or timestamps.ndim != 1:
        raise ValueError(f"{name}: timestamps and values must be 1-d arrays of one length")
    known = np.isfinite(values) & np.isfinite(timestamps)
    if not bool(known.any()):
        raise ValueError(f"{name}: values: the series has no value in the window")
    stamps = np.floor(timestamps[known]).astype(np.int64)
    kept = values[known]
    if np.any(np.diff(stamps) <= 0):
        raise ValueError(f"{name}: timestamps: must be strictly increasing")
    if bool(np.any(kept < 0)):
        raise ValueError(f"{name}: values: demand must be >= 0 (got {float(kept.min())})")
    grid = np.arange(stamps[0], stamps[-1] + 1, GRID_SECONDS, dtype=np.int64)
    index = np.searchsorted(stamps, grid, side="right") - 1
    return Trace(name=name, start=int(stamps[0]), demand=kept[index].astype(np.float64))


async def prometheus_trace(
    source: PrometheusSource, query: str, *, start: datetime, end: datetime, step: timedelta
) -> Trace:
    """The demand of ``query`` over ``[start, end]`` (raises :class:`MetricsError` or ``ValueError``)."""
    if step.total_seconds() < 1:
        raise MetricsError(f"step: must be at least 1 s (got {step})")
    result = await source.query_range(query, start=start, end=end, step=step)
    return trace_from_samples("prometheus", np.asarray(result.timestamps, dtype=np.float64),
                              np.asarray(result.values, dtype=np.float64))
