"""Target tracking: keep a metric near its target by sizing the group to it.

For each metric the policy computes the active count that would put the metric on
target (``ceil(serving * utilisation / target)`` or ``ceil(total / target)``) and
compares it with the active capacity (serving plus warming: instances still warming
count as capacity already on its way, and their metric values are left out). The
highest proposal among the metrics wins.

- Inside the tolerance band (``|desired / active - 1| <= tolerance``, edge included,
  as in Kubernetes HPA) the metric asks for no change.
- Scale-out happens at once.
- Scale-in goes only to the highest recommendation of the stabilization window (a
  window not yet observed whole counts the current total as a recommendation, so a
  restart never scales in at once), never removes more than the rate limit allows
  per period, and never happens with ``disableScaleIn``.
- A missing, stale or NaN metric never causes a scale-in: with no usable metric the
  policy holds (and vetoes the others' scale-ins); with some metrics usable it may
  scale out on them but not in.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction

from autoscaler.ess.capacity import round_half_away_from_zero
from autoscaler.policy._metrics import MetricKind, Statistic, measured_count, read_metric
from autoscaler.policy.model import (
    GroupSnapshot,
    Limit,
    LimitKind,
    MetricRef,
    MetricValue,
    PolicyKind,
    PolicyMemory,
    Proposal,
)

__all__ = ["ScaleInLimit", "TargetTrackingPolicy", "TrackedMetric", "ceil_tolerant"]

_EPSILON = 1e-9
# Enum members read at every evaluation, bound once (a member read through its class is a
# metaclass lookup, several times slower than a global: this is a replay's inner loop).
_AVERAGE = Statistic.AVERAGE
_NO_SERVING = LimitKind.NO_SERVING
_TOLERANCE = LimitKind.TOLERANCE
_TARGET_TRACKING = PolicyKind.TARGET_TRACKING


def ceil_tolerant(x: float) -> int:
    """``ceil`` that forgives float noise: 10 * 0.6 / 0.6 is 10.000000000000002, not 11."""
    return math.ceil(x - _EPSILON * max(1.0, abs(x)))


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackedMetric:
    ref: MetricRef
    kind: MetricKind
    target: float
    utilization: bool = field(init=False, repr=False, compare=False)
    target_text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.target > 0:
            raise ValueError(f"target of {self.ref}: must be > 0")
        # Precomputed for the hot path (one evaluation per group per tick).
        object.__setattr__(self, "utilization", self.kind is MetricKind.UTILIZATION)
        object.__setattr__(self, "target_text", f"{self.target:g}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleInLimit:
    """Scale-in damping: stabilization window and a rate limit per period (seconds)."""

    stabilization_window: int = 300
    max_instances: int | None = None
    max_percent: int | None = None
    period: int = 60
    window_delta: timedelta = field(init=False, repr=False, compare=False)
    period_delta: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.stabilization_window < 0 or self.period < 1:
            raise ValueError("scale-in limit: stabilization_window must be >= 0 and period >= 1")
        object.__setattr__(self, "window_delta", timedelta(seconds=self.stabilization_window))
        object.__setattr__(self, "period_delta", timedelta(seconds=self.period))

    def allowed(self, total: int) -> int | None:
        """Instances one period may remove from ``total``; None when unlimited."""
        if self.max_instances is not None:
            return self.max_instances
        if self.max_percent is not None:
            return max(1, round_half_away_from_zero(Fraction(total * self.max_percent, 100)))
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetTrackingPolicy:
    """Example::

    policy = TargetTrackingPolicy(name="cpu", metrics=(TrackedMetric(
        ref=MetricRef.prometheus("avg(cpu)"), kind=MetricKind.UTILIZATION, target=60.0),))
    """

    name: str
    metrics: tuple[TrackedMetric, ...]
    tolerance: float = 0.1
    disable_scale_in: bool = False
    scale_in: ScaleInLimit = ScaleInLimit()
    metric_max_age: timedelta = timedelta(minutes=5)

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        cap = snapshot.capacity
        serving, active = cap.serving, cap.serving + cap.warming
        values: list[MetricValue] = []
        limits: list[Limit] = []
        best: tuple[int, TrackedMetric, float, bool, int] | None = None
        missing = 0
        for metric in self.metrics:
            label = metric.ref.label
            value, problem = read_metric(snapshot, metric.ref, _AVERAGE, self.metric_max_age)
            values.append(MetricValue(label, value))
            if problem is None and metric.utilization and serving == 0:
                problem = _NO_SERVING
            if problem is not None:
                missing += 1
                limits.append(Limit(problem, f"{label}: no scale-in on this metric"))
                continue
            measured = measured_count(snapshot, metric.ref) if metric.utilization else None
            basis = serving if measured is None else measured
            raw = basis * value / metric.target if metric.utilization else value / metric.target
            ratio = raw / active if active else (math.inf if raw > 0 else 1.0)
            in_band = abs(ratio - 1.0) <= self.tolerance + _EPSILON
            if in_band:
                limits.append(_in_band_limit(label, ratio))
            wanted = active if in_band else ceil_tolerant(raw)
            if best is None or wanted > best[0]:
                best = (wanted, metric, value, in_band, basis)
        if best is None:
            return self._hold(snapshot, memory, values, limits)
        wanted, metric, value, in_band, basis = best
        idle = cap.total - active  # GroupCapacity.idle, without the property call
        desired = wanted + idle
        if missing and desired < cap.total:
            desired = cap.total
        formula = _formula(metric.utilization, basis, value, metric.target_text, self.tolerance, in_band, wanted,
                           idle, desired)
        return self._settle(snapshot, memory, desired, formula, tuple(values), limits)

    def _hold(
        self, snapshot: GroupSnapshot, memory: PolicyMemory, values: list[MetricValue], limits: list[Limit]
    ) -> Proposal:
        total = snapshot.capacity.total
        new_memory = _remember(memory, snapshot, total, self.scale_in)
        return Proposal(
            policy=self.name, kind=_TARGET_TRACKING, memory=new_memory, target=total,
            metrics=tuple(values), formula=f"hold at {total}: no usable metric", limits=tuple(limits),
            metrics_missing=True,
        )

    def _settle(
        self, snapshot: GroupSnapshot, memory: PolicyMemory, desired: int, formula: str,
        values: tuple[MetricValue, ...], limits: list[Limit],
    ) -> Proposal:
        total = snapshot.capacity.total
        new_memory = _remember(memory, snapshot, desired, self.scale_in)
        target = desired
        acted: PolicyMemory | None = None
        if desired < total:
            target = self._scale_in_target(snapshot, new_memory, desired, limits)
            if target < total:
                acted = new_memory.evolve(scale_ins=(*new_memory.scale_ins, (snapshot.now, total - target)))
        # Positional (a keyword call costs a third more, every tick): policy, kind, memory,
        # target, floor, cap, execute, metrics, formula, limits, acted_memory.
        return Proposal(self.name, _TARGET_TRACKING, new_memory, target, None, None, None, values, formula,
                        tuple(limits), acted)

    def _scale_in_target(
        self, snapshot: GroupSnapshot, memory: PolicyMemory, desired: int, limits: list[Limit]
    ) -> int:
        total = snapshot.capacity.total
        if self.disable_scale_in:
            limits.append(Limit(LimitKind.DISABLE_SCALE_IN, f"wants {desired}, scale-in disabled"))
            return total
        stabilized = max(r for _, r in memory.recommendations)
        window_start = snapshot.now - self.scale_in.window_delta
        if memory.observing_since is None or memory.observing_since > window_start:
            stabilized = max(stabilized, total)
        if stabilized > desired:
            limits.append(Limit(
                LimitKind.STABILIZATION,
                f"highest recommendation in the last {self.scale_in.stabilization_window}s is {stabilized}",
            ))
        target = min(stabilized, total)
        allowed = self.scale_in.allowed(total)
        if allowed is not None and target < total:
            period_start = snapshot.now - self.scale_in.period_delta
            removed = sum(n for t, n in memory.scale_ins if t > period_start)
            floor = total - max(0, allowed - removed)
            if target < floor:
                limits.append(Limit(
                    LimitKind.RATE_LIMIT,
                    f"at most {allowed} removed per {self.scale_in.period}s ({removed} already)",
                ))
                target = floor
        return target


# The explanation texts (and the in-band limit holding one) are memoised: a metric held on
# the evaluation grid (a 5-minute series read every minute) or a group at rest repeats
# them, and formatting floats is a sizable part of an evaluation.


@functools.lru_cache(maxsize=4096)
def _formula(utilization: bool, basis: int, value: float, target_text: str, tolerance: float, in_band: bool,
             wanted: int, idle: int, desired: int) -> str:
    """How the proposal was computed, e.g. ``ceil(3 * 80 / 60) = 4 active + 0 idle = 4``."""
    formula = f"ceil({basis} * {value:g} / {target_text})" if utilization else f"ceil({value:g} / {target_text})"
    formula += f" within ±{tolerance:g}: keep {wanted}" if in_band else f" = {wanted}"
    return f"{formula} active + {idle} idle = {desired}"


@functools.lru_cache(maxsize=4096)
def _in_band_limit(label: str, ratio: float) -> Limit:
    return Limit(_TOLERANCE, f"{label}: ratio {ratio:.3f} in the band")


def _remember(memory: PolicyMemory, snapshot: GroupSnapshot, desired: int, limit: ScaleInLimit) -> PolicyMemory:
    """Add this tick's recommendation; forget those older than the window, and old scale-ins.

    Entries are in time order, so forgetting is a slice from the front (hot path).
    """
    now = snapshot.now
    recs = memory.recommendations
    cutoff = now - limit.window_delta
    first = 0
    while first < len(recs) and recs[first][0] < cutoff:
        first += 1
    scale_ins = memory.scale_ins
    if scale_ins:
        period_start = now - limit.period_delta
        scale_ins = tuple(s for s in scale_ins if s[0] > period_start)
    # Positional (hot path): recommendations, observing_since, scale_ins, then the fields target
    # tracking does not use at their defaults (breaches ... handled_fire), and the extension.
    return PolicyMemory((*recs[first:], (now, desired)), memory.observing_since or now, scale_ins,
                        0, None, None, None, None, None, memory.extension)
