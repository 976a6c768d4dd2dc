"""Step scaling, as ESS and AWS define it: the size of the breach picks the step.

A step policy watches one metric against a breach threshold with a comparison
operator (CloudMonitor's names). After ``evaluation_periods`` consecutive breaching
evaluations, the step whose interval contains ``value - threshold`` is applied with
the policy's AdjustmentType (and MinAdjustmentMagnitude for percentages), through
the same arithmetic ESS uses (:func:`autoscaler.ess.capacity.apply_adjustment`).

Step intervals are relative to the threshold. Above it (``GreaterThan...``) the lower
bound is inclusive and the upper exclusive; below it (``LessThan...``) the reverse.
``None`` is the open end. Steps may neither overlap nor leave a gap, and must cover
every breach from the threshold outwards (:func:`check_steps`, also used by the
file schema).

Warm-up (EstimatedInstanceWarmup): after a scale-out, while the new instances warm
up, a further breach is measured against the total from before that scale-out, so
a breach that stays inside one step gives one action, and a breach that moves to a
larger step adds only the difference (AWS's rule). Scale-in steps have no warm-up;
an optional Cooldown spaces any two actions of the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from itertools import pairwise

from autoscaler.ess.capacity import AdjustmentType, apply_adjustment
from autoscaler.ess.errors import NoChangeError
from autoscaler.policy._metrics import Statistic, read_metric
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

__all__ = ["Comparison", "StepAdjustment", "StepScalingPolicy", "check_steps", "limits_of"]


class Comparison(StrEnum):
    """CloudMonitor's ComparisonOperator names."""

    GE = "GreaterThanOrEqualToThreshold"
    GT = "GreaterThanThreshold"
    LE = "LessThanOrEqualToThreshold"
    LT = "LessThanThreshold"

    @property
    def upward(self) -> bool:
        return self in (Comparison.GE, Comparison.GT)

    def breached(self, value: float, threshold: float) -> bool:
        if self is Comparison.GE:
            return value >= threshold
        if self is Comparison.GT:
            return value > threshold
        if self is Comparison.LE:
            return value <= threshold
        return value < threshold


@dataclass(frozen=True, slots=True, kw_only=True)
class StepAdjustment:
    """One step: MetricIntervalLowerBound/UpperBound relative to the threshold."""

    lower: float | None
    upper: float | None
    adjustment: int

    def contains(self, delta: float, *, upward: bool) -> bool:
        if upward:
            return (self.lower is None or delta >= self.lower) and (self.upper is None or delta < self.upper)
        return (self.lower is None or delta > self.lower) and (self.upper is None or delta <= self.upper)


def check_steps(steps: tuple[StepAdjustment, ...], *, upward: bool) -> str | None:
    """Why ``steps`` are not a valid step set for this direction, or None when they are.

    Above the threshold the steps must start at 0 and end open (no upper bound);
    below it they must end at 0 and start open. In between, each step starts where
    the previous one ends.
    """
    if not steps:
        return "at least one step is required"
    ordered = sorted(steps, key=lambda s: -float("inf") if s.lower is None else s.lower)
    for s in ordered:
        if s.lower is not None and s.upper is not None and s.lower >= s.upper:
            return f"step [{s.lower}, {s.upper}) is empty: metricIntervalLowerBound must be < metricIntervalUpperBound"
    side = "above" if upward else "below"
    first, last = ordered[0], ordered[-1]
    if upward and (first.lower is None or first.lower != 0 or last.upper is not None):
        return "steps above the threshold must start at metricIntervalLowerBound 0 and end without an upper bound"
    if not upward and (last.upper is None or last.upper != 0 or first.lower is not None):
        return "steps below the threshold must end at metricIntervalUpperBound 0 and start without a lower bound"
    for prev, nxt in pairwise(ordered):
        if prev.upper is None or nxt.lower is None:
            return f"steps {side} the threshold overlap (more than one open-ended step)"
        if prev.upper > nxt.lower:
            return f"steps overlap between {nxt.lower} and {prev.upper}"
        if prev.upper < nxt.lower:
            return f"gap between steps: nothing covers {prev.upper} to {nxt.lower}"
    return None


_LIMIT_NAMES = {
    "min_size": LimitKind.MIN_SIZE,
    "max_size": LimitKind.MAX_SIZE,
    "max_change_per_execution": LimitKind.MAX_CHANGE,
    "min_adjustment_magnitude": LimitKind.MIN_ADJUSTMENT_MAGNITUDE,
}


def limits_of(limited_by: tuple[str, ...], detail: str) -> tuple[Limit, ...]:
    """Translate :class:`AdjustmentResult.limited_by` names into :class:`Limit` values."""
    return tuple(Limit(_LIMIT_NAMES[name], detail) for name in limited_by)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepScalingPolicy:
    """Example::

    StepScalingPolicy(name="queue", metric=MetricRef.prometheus("sum(queue)"), per_instance=True,
                      comparison=Comparison.GE, threshold=100, adjustment_type=AdjustmentType.QUANTITY,
                      steps=(StepAdjustment(lower=0, upper=100, adjustment=1),
                             StepAdjustment(lower=100, upper=None, adjustment=3)))
    """

    name: str
    metric: MetricRef
    comparison: Comparison
    threshold: float
    adjustment_type: AdjustmentType
    steps: tuple[StepAdjustment, ...]
    statistic: Statistic = Statistic.AVERAGE
    per_instance: bool = False
    evaluation_periods: int = 1
    min_adjustment_magnitude: int | None = None
    warmup: timedelta = timedelta(seconds=300)
    cooldown: timedelta | None = None
    metric_max_age: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        problem = check_steps(self.steps, upward=self.comparison.upward)
        if problem is not None:
            raise ValueError(f"policy {self.name}: {problem}")
        if self.evaluation_periods < 1:
            raise ValueError(f"policy {self.name}: evaluation_periods must be >= 1")

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        cap = snapshot.capacity
        value, problem = read_metric(snapshot, self.metric, self.statistic, self.metric_max_age)
        if problem is None and self.per_instance:
            value = value / max(cap.active, 1)
        shown = (MetricValue(self.metric.label, value),)
        if problem is not None:
            return self._proposal(memory.evolve(breaches=0), shown, cap.total, "hold: no usable metric",
                                  (Limit(problem, f"{self.metric}: no scale-in on this metric"),), missing=True)
        if not self.comparison.breached(value, self.threshold):
            return self._proposal(memory.evolve(breaches=0), shown, None,
                                  f"{value:g} does not breach {self.comparison.value} {self.threshold:g}", ())
        breaches = min(memory.breaches + 1, self.evaluation_periods)
        rested = memory.evolve(breaches=breaches)
        if breaches < self.evaluation_periods:
            limit = Limit(LimitKind.EVALUATION_PERIODS, f"breach {breaches} of {self.evaluation_periods}")
            return self._proposal(rested, shown, None, f"{value:g} breaches {self.threshold:g}", (limit,))
        now = snapshot.now
        if memory.cooldown_until is not None and now < memory.cooldown_until:
            limit = Limit(LimitKind.COOLDOWN, f"cooling down until {memory.cooldown_until.isoformat()}")
            return self._proposal(rested, shown, None, f"{value:g} breaches {self.threshold:g}", (limit,))
        return self._act(snapshot, rested, value, shown)

    def _act(
        self, snapshot: GroupSnapshot, memory: PolicyMemory, value: float, shown: tuple[MetricValue, ...]
    ) -> Proposal:
        cap, now = snapshot.capacity, snapshot.now
        upward = self.comparison.upward
        delta = value - self.threshold
        step = next((s for s in self.steps if s.contains(delta, upward=upward)), None)
        if step is None:  # unreachable with validated steps; a hold is the safe answer
            return self._proposal(memory, shown, cap.total, f"no step contains {delta:g}", ())
        warming = upward and memory.warmup_until is not None and now < memory.warmup_until
        base = memory.warmup_base if warming and memory.warmup_base is not None else cap.total
        interval = _interval(step, upward=upward)
        formula = (f"{value:g} - {self.threshold:g} = {delta:g} in step {interval}: "
                   f"{self.adjustment_type.value} {step.adjustment:+d} on {base}")
        try:
            result = apply_adjustment(
                total=base, min_size=cap.min_size, max_size=cap.max_size, adjustment_type=self.adjustment_type,
                value=step.adjustment, min_adjustment_magnitude=self.min_adjustment_magnitude,
            )
            target, limits = result.target, limits_of(result.limited_by, f"step of {self.name}")
        except NoChangeError:
            target, limits = base, ()
        if upward:
            if target <= cap.total and warming:
                limits = (*limits, Limit(LimitKind.WARMUP, f"{cap.total - base} instances already warming up"))
            target = max(target, cap.total)
        elif target >= cap.total:
            return self._proposal(memory, shown, None, formula, limits)
        acted = memory
        if target != cap.total:
            acted = memory.evolve(
                warmup_until=now + self.warmup if upward else memory.warmup_until,
                warmup_base=base if upward else memory.warmup_base,
                cooldown_until=now + self.cooldown if self.cooldown else memory.cooldown_until,
            )
        return self._proposal(memory, shown, target, f"{formula} = {target}", limits, acted=acted)

    def _proposal(
        self, memory: PolicyMemory, shown: tuple[MetricValue, ...], target: int | None, formula: str,
        limits: tuple[Limit, ...], *, acted: PolicyMemory | None = None, missing: bool = False,
    ) -> Proposal:
        return Proposal(
            policy=self.name, kind=PolicyKind.STEP, memory=memory, target=target, metrics=shown,
            formula=formula, limits=limits, acted_memory=acted, metrics_missing=missing,
        )


def _interval(step: StepAdjustment, *, upward: bool) -> str:
    low = "-inf" if step.lower is None else f"{step.lower:g}"
    high = "+inf" if step.upper is None else f"{step.upper:g}"
    return f"[{low}, {high})" if upward else f"({low}, {high}]"
