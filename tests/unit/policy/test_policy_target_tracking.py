"""Target tracking: tolerance, scale-out at once, warming capacity, stabilization, rate limit, safety."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from policy_helpers import CPU, QUEUE, T0, at, run, snap

from autoscaler.policy import (
    EMPTY_MEMORY,
    LimitKind,
    MetricKind,
    ScaleInLimit,
    TargetTrackingPolicy,
    TrackedMetric,
)
from autoscaler.policy.target_tracking import ceil_tolerant


def cpu_policy(**kwargs: Any) -> TargetTrackingPolicy:
    metrics = (TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION, target=60.0),)
    return TargetTrackingPolicy(name="cpu", metrics=metrics, **kwargs)


def limit_kinds(proposal: object) -> set[LimitKind]:
    return {limit.kind for limit in proposal.limits}  # type: ignore[attr-defined]


def test_scale_out_goes_at_once_to_ceil_of_serving_times_value_over_target() -> None:
    proposal = cpu_policy().evaluate(snap(total=4, metrics={CPU: 90}), EMPTY_MEMORY)
    assert proposal.target == 6  # ceil(4 * 90 / 60)
    assert "ceil(4 * 90 / 60)" in proposal.formula


@pytest.mark.parametrize("value", [54.0, 66.0, 60.0])
def test_values_inside_the_tolerance_band_edges_included_ask_for_no_change(value: float) -> None:
    proposal = cpu_policy(tolerance=0.1).evaluate(snap(total=4, metrics={CPU: value}), EMPTY_MEMORY)
    assert proposal.target == 4
    assert LimitKind.TOLERANCE in limit_kinds(proposal)


def test_a_value_just_past_the_tolerance_edge_scales_out() -> None:
    proposal = cpu_policy(tolerance=0.1).evaluate(snap(total=4, metrics={CPU: 66.01}), EMPTY_MEMORY)
    assert proposal.target == 5  # ceil(4.4007)


def test_float_noise_does_not_add_an_instance() -> None:
    assert 3 * 0.9 / 0.3 > 9  # 9.000000000000002 in binary floating point
    policy = TargetTrackingPolicy(
        name="cpu", metrics=(TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION, target=0.3),), tolerance=0.0
    )
    assert policy.evaluate(snap(total=3, metrics={CPU: 0.9}), EMPTY_MEMORY).target == 9
    assert ceil_tolerant(10.000000000000002) == 10
    assert ceil_tolerant(10.01) == 11


def test_warming_instances_count_as_capacity_on_its_way() -> None:
    # 4 serve at 90 %: 6 are needed, and 2 are already warming up.
    proposal = cpu_policy().evaluate(snap(total=6, serving=4, warming=2, metrics={CPU: 90}), EMPTY_MEMORY)
    assert proposal.target == 6
    assert LimitKind.TOLERANCE in limit_kinds(proposal)


def test_warming_instances_metrics_are_left_out_of_the_average() -> None:
    vector = {"i-1": 90.0, "i-2": 90.0, "i-3": 0.0}
    s = snap(total=3, serving=2, warming=1, metrics={CPU: vector}, not_serving=frozenset({"i-3"}))
    proposal = cpu_policy().evaluate(s, EMPTY_MEMORY)
    assert proposal.metrics[0].value == 90.0
    assert proposal.target == 3  # ceil(2 * 90 / 60) = 3 active, 3 already active


def test_all_instances_warming_holds_without_a_utilisation_to_read() -> None:
    proposal = cpu_policy().evaluate(snap(total=3, serving=0, warming=3, metrics={CPU: 95}), EMPTY_MEMORY)
    assert proposal.target == 3
    assert proposal.metrics_missing
    assert LimitKind.NO_SERVING in limit_kinds(proposal)


def test_per_instance_value_of_a_total_divides_the_total_by_the_target() -> None:
    policy = TargetTrackingPolicy(
        name="queue", metrics=(TrackedMetric(ref=QUEUE, kind=MetricKind.PER_INSTANCE, target=100.0),)
    )
    assert policy.evaluate(snap(total=2, metrics={QUEUE: 450}), EMPTY_MEMORY).target == 5
    # Works with an empty group too: a backlog needs instances even when none serve.
    assert policy.evaluate(snap(total=0, min_size=0, metrics={QUEUE: 50}), EMPTY_MEMORY).target == 1


def test_standby_instances_are_added_on_top_of_the_active_need() -> None:
    proposal = cpu_policy().evaluate(snap(total=5, standby=1, metrics={CPU: 90}), EMPTY_MEMORY)
    assert proposal.target == 7  # 6 active + 1 standby


def test_scale_in_waits_for_a_whole_stabilization_window() -> None:
    policy = cpu_policy(scale_in=ScaleInLimit(stabilization_window=300))
    snaps = [snap(now=at(m), total=10, metrics={CPU: 30}) for m in range(0, 7)]
    targets = [p.target for p in run(policy, snaps, act=False)]
    # 5 active wanted all along; the window is observed whole from minute 5 on.
    assert targets == [10, 10, 10, 10, 10, 5, 5]


def test_scale_in_goes_to_the_highest_recommendation_in_the_window() -> None:
    policy = cpu_policy(scale_in=ScaleInLimit(stabilization_window=120))
    values = [30, 30, 30, 48, 36, 30]  # recommendations 5, 5, 5, 8, 6, 5
    snaps = [snap(now=at(m), total=10, metrics={CPU: v}) for m, v in enumerate(values)]
    proposals = run(policy, snaps, act=False)
    assert [p.target for p in proposals] == [10, 10, 5, 8, 8, 8]
    assert LimitKind.STABILIZATION in limit_kinds(proposals[-1])


def test_scale_in_rate_limit_removes_at_most_max_instances_per_period() -> None:
    policy = cpu_policy(scale_in=ScaleInLimit(stabilization_window=0, max_instances=2, period=120))
    first = policy.evaluate(snap(now=at(0), total=10, metrics={CPU: 12}), EMPTY_MEMORY)
    assert first.target == 8
    assert LimitKind.RATE_LIMIT in limit_kinds(first)
    assert first.acted_memory is not None
    second = policy.evaluate(snap(now=at(1), total=8, metrics={CPU: 15}), first.acted_memory)
    assert second.target == 8  # 2 already removed inside the 120 s period
    third = policy.evaluate(snap(now=at(2), total=8, metrics={CPU: 15}), second.memory)
    assert third.target == 6


@pytest.mark.parametrize(("total", "percent", "allowed"), [(5, 10, 1), (15, 10, 2), (25, 10, 3), (3, 10, 1)])
def test_percent_rate_limit_rounds_half_away_from_zero_and_allows_at_least_one(
    total: int, percent: int, allowed: int
) -> None:
    assert ScaleInLimit(max_percent=percent).allowed(total) == allowed


def test_disable_scale_in_keeps_the_total() -> None:
    policy = cpu_policy(disable_scale_in=True, scale_in=ScaleInLimit(stabilization_window=0))
    proposal = policy.evaluate(snap(total=10, metrics={CPU: 6}), EMPTY_MEMORY)
    assert proposal.target == 10
    assert LimitKind.DISABLE_SCALE_IN in limit_kinds(proposal)
    assert policy.evaluate(snap(total=2, metrics={CPU: 90}), EMPTY_MEMORY).target == 3


@pytest.mark.parametrize(
    ("value", "age", "reason"),
    [(None, timedelta(0), LimitKind.MISSING_METRIC), (10.0, timedelta(minutes=6), LimitKind.STALE_METRIC),
     (math.nan, timedelta(0), LimitKind.INVALID_METRIC), (math.inf, timedelta(0), LimitKind.INVALID_METRIC)],
)
def test_a_missing_stale_or_nan_metric_holds_and_never_scales_in(
    value: float | None, age: timedelta, reason: LimitKind
) -> None:
    policy = cpu_policy(scale_in=ScaleInLimit(stabilization_window=0))
    proposal = policy.evaluate(snap(total=10, metrics={CPU: value}, age=age), EMPTY_MEMORY)
    assert proposal.target == 10
    assert proposal.metrics_missing
    assert reason in limit_kinds(proposal)


def test_a_sample_exactly_at_the_maximum_age_is_still_fresh() -> None:
    policy = cpu_policy(metric_max_age=timedelta(minutes=5))
    proposal = policy.evaluate(snap(total=4, metrics={CPU: 90}, age=timedelta(minutes=5)), EMPTY_MEMORY)
    assert proposal.target == 6


def test_several_metrics_take_the_highest_proposal() -> None:
    policy = TargetTrackingPolicy(name="both", metrics=(
        TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION, target=60.0),
        TrackedMetric(ref=QUEUE, kind=MetricKind.PER_INSTANCE, target=100.0),
    ))
    assert policy.evaluate(snap(total=4, metrics={CPU: 90, QUEUE: 800}), EMPTY_MEMORY).target == 8
    assert policy.evaluate(snap(total=4, metrics={CPU: 90, QUEUE: 100}), EMPTY_MEMORY).target == 6


def test_with_one_metric_missing_the_others_may_scale_out_but_not_in() -> None:
    policy = TargetTrackingPolicy(
        name="both",
        metrics=(TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION, target=60.0),
                 TrackedMetric(ref=QUEUE, kind=MetricKind.PER_INSTANCE, target=100.0)),
        scale_in=ScaleInLimit(stabilization_window=0),
    )
    assert policy.evaluate(snap(total=4, metrics={CPU: 90}), EMPTY_MEMORY).target == 6
    held = policy.evaluate(snap(total=10, metrics={CPU: 6}), EMPTY_MEMORY)
    assert held.target == 10
    assert not held.metrics_missing


def test_the_memory_forgets_recommendations_older_than_the_window() -> None:
    policy = cpu_policy(scale_in=ScaleInLimit(stabilization_window=120))
    snaps = [snap(now=at(m), total=10, metrics={CPU: 30}) for m in range(10)]
    proposals = run(policy, snaps, act=False)
    assert len(proposals[-1].memory.recommendations) == 3  # minutes 7, 8, 9
    assert proposals[-1].memory.observing_since == T0


def test_a_target_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION, target=0.0)


def test_a_per_instance_utilisation_counts_only_the_instances_that_measured_it() -> None:
    # 8 instances serve now, but the sample has values for 5 of them (3 just finished warming up):
    # the load is 5 * 30 / 60 = 2.5 instances -> 3, not 8 * 30 / 60 = 4.
    sample = {f"i-{n}": 30.0 for n in range(5)}
    proposal = cpu_policy().evaluate(snap(total=8, metrics={CPU: sample}), EMPTY_MEMORY)
    assert "ceil(5 * 30 / 60)" in proposal.formula
    # a scalar sample cannot tell: the serving count is the basis
    scalar = cpu_policy().evaluate(snap(total=8, metrics={CPU: 30.0}), EMPTY_MEMORY)
    assert "ceil(8 * 30 / 60)" in scalar.formula
