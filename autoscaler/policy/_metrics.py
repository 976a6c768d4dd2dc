"""Reading one metric out of a snapshot: staleness, NaN, per-instance aggregation.

Every policy kind reads its metrics through :func:`read_metric`, so the safety rule
("a missing, stale or NaN metric never causes a scale-in") has one definition: an
unusable reading comes back as NaN with the reason, and each policy turns it into a
hold (never a scale-in).

Per-instance vectors are aggregated here because only the snapshot knows which
instances are warming or in standby: averages, minima and maxima leave their values
out (a booting instance's CPU says nothing about load), sums keep every instance (a
queue's backlog is the group's backlog wherever it is reported).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from enum import StrEnum

from autoscaler.policy.model import GroupSnapshot, LimitKind, MetricRef

__all__ = ["MetricKind", "Statistic", "measured_count", "read_metric"]

_MISSING = LimitKind.MISSING_METRIC  # enum members bound once (read at every evaluation)
_STALE = LimitKind.STALE_METRIC
_NO_SERVING = LimitKind.NO_SERVING
_INVALID = LimitKind.INVALID_METRIC


class Statistic(StrEnum):
    """How a per-instance vector is reduced to one value (CloudMonitor's names)."""

    AVERAGE = "Average"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"
    SUM = "Sum"


_AVERAGE, _SUM, _MINIMUM = Statistic.AVERAGE, Statistic.SUM, Statistic.MINIMUM


class MetricKind(StrEnum):
    """What a target-tracking metric measures.

    ``utilization``: an average over serving instances (CPU %); the desired count is
    ``ceil(serving * value / target)``. ``perInstance``: a total shared by the group
    (requests per second, queue length) whose target is a per-instance value; the
    desired count is ``ceil(total / target)``.
    """

    UTILIZATION = "utilization"
    PER_INSTANCE = "perInstance"


def read_metric(
    snapshot: GroupSnapshot, ref: MetricRef, statistic: Statistic, max_age: timedelta
) -> tuple[float, LimitKind | None]:
    """The value of ``ref`` reduced by ``statistic``, or NaN and the reason it is unusable."""
    sample = snapshot.metrics.get(ref)
    if sample is None:
        return math.nan, _MISSING
    if snapshot.now - sample.timestamp > max_age:
        return math.nan, _STALE
    vector = sample.per_instance
    if vector:
        reduced = _reduce(vector, statistic, snapshot.not_serving)
        if reduced is None:
            return math.nan, _NO_SERVING
        value = reduced
    elif sample.value is not None:
        value = sample.value
    else:
        return math.nan, _MISSING
    if not math.isfinite(value):
        return math.nan, _INVALID
    return value, None


def measured_count(snapshot: GroupSnapshot, ref: MetricRef) -> int | None:
    """How many serving instances a per-instance sample of ``ref`` measured (None for a scalar).

    A utilisation is only meaningful together with the number of instances it was
    measured on: an instance that became serving after the sample was taken carries
    no load in it yet, so multiplying by the serving count of *now* would overstate
    the load right after a scale-out.
    """
    sample = snapshot.metrics.get(ref)
    if sample is None or not sample.per_instance:
        return None
    not_serving = snapshot.not_serving
    if not not_serving:  # a group at rest: every instance of the vector serves
        return len(sample.per_instance)
    return sum(1 for k in sample.per_instance if k not in not_serving)


def _average(values: Iterable[float], count: int) -> float:
    """The mean of ``count`` (> 0) values: exact summation, NaN in, NaN out."""
    try:
        return math.fsum(values) / count
    except ValueError:  # inf + -inf
        return math.nan


def _reduce(vector: Mapping[str, float], statistic: Statistic, not_serving: frozenset[str]) -> float | None:
    if statistic is _SUM:
        return math.fsum(vector.values())
    if statistic is _AVERAGE and not not_serving and vector:  # a group at rest: no list to build
        return _average(vector.values(), len(vector))
    values = list(vector.values()) if not not_serving else [v for k, v in vector.items() if k not in not_serving]
    if not values:
        return None
    if statistic is _AVERAGE:
        return _average(values, len(values))
    if any(map(math.isnan, values)):
        return math.nan
    if statistic is _MINIMUM:
        return min(values)
    return max(values)
