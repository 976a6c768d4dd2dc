"""Step scaling: bounds relative to the threshold, three AdjustmentTypes, periods, warm-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from policy_helpers import QUEUE, at, run, snap

from autoscaler.ess import AdjustmentType
from autoscaler.policy import EMPTY_MEMORY, Comparison, LimitKind, Statistic, StepAdjustment, StepScalingPolicy
from autoscaler.policy.step import check_steps

UP_STEPS = (
    StepAdjustment(lower=0, upper=100, adjustment=1),
    StepAdjustment(lower=100, upper=300, adjustment=3),
    StepAdjustment(lower=300, upper=None, adjustment=6),
)
DOWN_STEPS = (
    StepAdjustment(lower=-50, upper=0, adjustment=-1),
    StepAdjustment(lower=None, upper=-50, adjustment=-3),
)


def step_policy(
    *, comparison: Comparison = Comparison.GE, steps: tuple[StepAdjustment, ...] = UP_STEPS,
    adjustment_type: AdjustmentType = AdjustmentType.QUANTITY, threshold: float = 100, **kwargs: Any
) -> StepScalingPolicy:
    return StepScalingPolicy(
        name="queue", metric=QUEUE, comparison=comparison, threshold=threshold,
        adjustment_type=adjustment_type, steps=steps, **kwargs,
    )


def test_exactly_at_the_threshold_breaches_greater_or_equal_but_not_greater() -> None:
    assert step_policy(comparison=Comparison.GE).evaluate(snap(total=4, metrics={QUEUE: 100}), EMPTY_MEMORY).target == 5
    quiet = step_policy(comparison=Comparison.GT).evaluate(snap(total=4, metrics={QUEUE: 100}), EMPTY_MEMORY)
    assert quiet.target is None


@pytest.mark.parametrize(("value", "target"), [(199.99, 5), (200, 7), (399, 7), (400, 10), (10_000, 10)])
def test_above_the_threshold_lower_bounds_are_inclusive_and_upper_bounds_exclusive(value: float, target: int) -> None:
    proposal = step_policy().evaluate(snap(total=4, max_size=50, metrics={QUEUE: value}), EMPTY_MEMORY)
    assert proposal.target == target


@pytest.mark.parametrize(("value", "target"), [(50, 9), (0.01, 9), (0, 7), (-1000, 7)])
def test_below_the_threshold_upper_bounds_are_inclusive_and_lower_bounds_exclusive(value: float, target: int) -> None:
    # Threshold 50, LessThanOrEqual: delta 0 is in (-50, 0]; delta -50 is in (-inf, -50].
    policy = step_policy(comparison=Comparison.LE, threshold=50, steps=DOWN_STEPS)
    assert policy.evaluate(snap(total=10, metrics={QUEUE: value}), EMPTY_MEMORY).target == target


def test_below_the_threshold_less_than_does_not_breach_at_the_threshold() -> None:
    policy = step_policy(comparison=Comparison.LT, threshold=50, steps=DOWN_STEPS)
    assert policy.evaluate(snap(total=10, metrics={QUEUE: 50}), EMPTY_MEMORY).target is None
    assert policy.evaluate(snap(total=10, metrics={QUEUE: 49.5}), EMPTY_MEMORY).target == 9


@pytest.mark.parametrize(
    ("total", "percent", "target"),
    [(5, 10, 6), (5, 30, 7), (5, -10, 4), (5, -30, 3), (15, 10, 17), (3, 50, 5)],
)
def test_percent_steps_round_half_away_from_zero(total: int, percent: int, target: int) -> None:
    upward = percent > 0
    steps = (StepAdjustment(lower=0, upper=None, adjustment=percent),) if upward else \
        (StepAdjustment(lower=None, upper=0, adjustment=percent),)
    policy = step_policy(comparison=Comparison.GE if upward else Comparison.LE, steps=steps,
                         adjustment_type=AdjustmentType.PERCENT)
    value = 150 if upward else 50
    assert policy.evaluate(snap(total=total, metrics={QUEUE: value}), EMPTY_MEMORY).target == target


def test_min_adjustment_magnitude_lifts_a_small_percentage() -> None:
    steps = (StepAdjustment(lower=0, upper=None, adjustment=10),)
    policy = step_policy(steps=steps, adjustment_type=AdjustmentType.PERCENT, min_adjustment_magnitude=2)
    proposal = policy.evaluate(snap(total=4, metrics={QUEUE: 150}), EMPTY_MEMORY)
    assert proposal.target == 6  # 10 % of 4 rounds to 0; at least 2
    assert LimitKind.MIN_ADJUSTMENT_MAGNITUDE in {lim.kind for lim in proposal.limits}


def test_total_capacity_steps_set_the_total() -> None:
    steps = (StepAdjustment(lower=0, upper=None, adjustment=12),)
    policy = step_policy(steps=steps, adjustment_type=AdjustmentType.TOTAL)
    assert policy.evaluate(snap(total=4, metrics={QUEUE: 150}), EMPTY_MEMORY).target == 12


def test_max_size_clamps_a_step() -> None:
    proposal = step_policy().evaluate(snap(total=18, max_size=20, metrics={QUEUE: 500}), EMPTY_MEMORY)
    assert proposal.target == 20
    assert LimitKind.MAX_SIZE in {lim.kind for lim in proposal.limits}


def test_min_size_clamps_a_scale_in_step() -> None:
    policy = step_policy(comparison=Comparison.LE, threshold=50, steps=DOWN_STEPS)
    proposal = policy.evaluate(snap(total=3, min_size=2, metrics={QUEUE: -100}), EMPTY_MEMORY)
    assert proposal.target == 2
    assert LimitKind.MIN_SIZE in {lim.kind for lim in proposal.limits}


def test_evaluation_periods_need_consecutive_breaches() -> None:
    policy = step_policy(evaluation_periods=2, warmup=timedelta(0))
    values = [150, 50, 150, 150, 150]
    proposals = run(policy, [snap(now=at(m), total=4, metrics={QUEUE: v}) for m, v in enumerate(values)])
    assert [p.target for p in proposals] == [None, None, None, 5, 5]
    assert LimitKind.EVALUATION_PERIODS in {lim.kind for lim in proposals[2].limits}


def test_one_breach_inside_a_step_range_gives_one_action_during_warm_up() -> None:
    policy = step_policy(warmup=timedelta(minutes=3))
    first = policy.evaluate(snap(now=at(0), total=4, metrics={QUEUE: 150}), EMPTY_MEMORY)
    assert first.target == 5
    assert first.acted_memory is not None
    # One minute later the new instance warms up; the breach is still in the first step.
    second = policy.evaluate(snap(now=at(1), total=5, warming=1, metrics={QUEUE: 150}), first.acted_memory)
    assert second.target == 5
    assert LimitKind.WARMUP in {lim.kind for lim in second.limits}
    # The breach grows into the second step (+3 from 4): only the difference is added.
    third = policy.evaluate(snap(now=at(2), total=5, warming=1, metrics={QUEUE: 250}), second.memory)
    assert third.target == 7
    # After the warm-up a breach counts again from the current total.
    later = policy.evaluate(snap(now=at(4), total=5, metrics={QUEUE: 150}), second.memory)
    assert later.target == 6


def test_per_instance_steps_divide_the_total_by_the_active_instances() -> None:
    policy = step_policy(per_instance=True, statistic=Statistic.SUM)
    proposal = policy.evaluate(snap(total=3, metrics={QUEUE: 450}), EMPTY_MEMORY)
    assert proposal.metrics[0].value == 150
    assert proposal.target == 4


def test_a_missing_metric_holds_and_vetoes_scale_in() -> None:
    proposal = step_policy().evaluate(snap(total=4, metrics={}), EMPTY_MEMORY)
    assert proposal.target == 4
    assert proposal.metrics_missing


def test_cooldown_spaces_scale_in_steps() -> None:
    policy = step_policy(comparison=Comparison.LE, threshold=50, steps=DOWN_STEPS, cooldown=timedelta(minutes=5))
    proposals = run(policy, [snap(now=at(m), total=10 - min(m, 1), metrics={QUEUE: 20}) for m in (0, 1, 2, 5)])
    assert [p.target for p in proposals] == [9, None, None, 8]
    assert LimitKind.COOLDOWN in {lim.kind for lim in proposals[1].limits}


@pytest.mark.parametrize(
    ("steps", "upward", "message"),
    [
        ((), True, "at least one step"),
        ((StepAdjustment(lower=0, upper=10, adjustment=1),), True, "end without an upper bound"),
        ((StepAdjustment(lower=5, upper=None, adjustment=1),), True, "start at metricIntervalLowerBound 0"),
        ((StepAdjustment(lower=0, upper=10, adjustment=1), StepAdjustment(lower=12, upper=None, adjustment=2)),
         True, "gap between steps"),
        ((StepAdjustment(lower=0, upper=10, adjustment=1), StepAdjustment(lower=8, upper=None, adjustment=2)),
         True, "overlap"),
        ((StepAdjustment(lower=0, upper=0, adjustment=1),), True, "is empty"),
        ((StepAdjustment(lower=None, upper=-5, adjustment=-1),), False, "end at metricIntervalUpperBound 0"),
        ((StepAdjustment(lower=-5, upper=0, adjustment=-1),), False, "start without a lower bound"),
        ((StepAdjustment(lower=None, upper=-5, adjustment=-1), StepAdjustment(lower=-10, upper=0, adjustment=-2)),
         False, "overlap"),
    ],
)
def test_invalid_step_sets_are_rejected_with_the_reason(
    steps: tuple[StepAdjustment, ...], upward: bool, message: str
) -> None:
    problem = check_steps(steps, upward=upward)
    assert problem is not None and message in problem


def test_valid_step_sets_pass_in_any_order() -> None:
    assert check_steps(tuple(reversed(UP_STEPS)), upward=True) is None
    assert check_steps(DOWN_STEPS, upward=False) is None
    with pytest.raises(ValueError, match="gap between steps"):
        step_policy(steps=(StepAdjustment(lower=0, upper=1, adjustment=1),
                           StepAdjustment(lower=2, upper=None, adjustment=1)))
