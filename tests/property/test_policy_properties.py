"""Properties of the policy engine that must hold for any metric values and group state."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from autoscaler.ess import AdjustmentType
from autoscaler.ess.recurrence import RecurrenceType, Schedule
from autoscaler.policy import (
    EMPTY_MEMORY,
    Action,
    Comparison,
    GroupCapacity,
    GroupMemory,
    GroupSnapshot,
    MetricKind,
    MetricRef,
    MetricSample,
    PolicyKind,
    PolicyMemory,
    Proposal,
    ScaleInLimit,
    ScheduledPolicy,
    StepAdjustment,
    StepScalingPolicy,
    TargetTrackingPolicy,
    TrackedMetric,
    arbitrate,
    decide,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CPU = MetricRef.synthetic("cpu")
values = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
unusable = st.sampled_from([None, math.nan, math.inf, "stale"])


@st.composite
def capacities(draw: st.DrawFn) -> GroupCapacity:
    min_size = draw(st.integers(0, 5))
    max_size = draw(st.integers(max(min_size, 1), 60))
    total = draw(st.integers(0, 60))
    warming = draw(st.integers(0, total))
    standby = draw(st.integers(0, total - warming))
    protected = draw(st.integers(0, total - standby))
    return GroupCapacity(total=total, serving=total - warming - standby, warming=warming, standby=standby,
                         protected=protected, min_size=min_size, max_size=max_size)


def snapshot(cap: GroupCapacity, value: float | str | None, now: datetime = T0) -> GroupSnapshot:
    metrics = {}
    if isinstance(value, str):
        metrics[CPU] = MetricSample(timestamp=now - timedelta(hours=1), value=1.0)
    elif value is not None:
        metrics[CPU] = MetricSample(timestamp=now, value=value)
    return GroupSnapshot(now=now, capacity=cap, metrics=metrics)


def tracking(window: int = 0) -> TargetTrackingPolicy:
    return TargetTrackingPolicy(name="cpu", metrics=(TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION,
                                                                   target=60.0),),
                                scale_in=ScaleInLimit(stabilization_window=window))


@given(capacities(), unusable)
def test_an_unusable_metric_never_causes_a_scale_in(cap: GroupCapacity, value: float | str | None) -> None:
    decision = decide([tracking()], snapshot(cap, value), GroupMemory())
    assert decision.target is None or decision.target >= cap.total


@given(capacities(), values)
def test_the_decided_target_is_within_the_group_bounds_and_differs_from_the_total(
    cap: GroupCapacity, value: float
) -> None:
    decision = decide([tracking()], snapshot(cap, value), GroupMemory())
    if decision.action is Action.SET_CAPACITY:
        assert decision.target is not None
        assert cap.min_size <= decision.target <= cap.max_size
        assert decision.target != cap.total
    else:
        assert decision.target is None


@given(capacities(), values, values)
def test_a_higher_utilisation_never_proposes_fewer_instances(cap: GroupCapacity, a: float, b: float) -> None:
    low, high = sorted((a, b))
    policy = tracking()
    p_low = policy.evaluate(snapshot(cap, low), EMPTY_MEMORY).target
    p_high = policy.evaluate(snapshot(cap, high), EMPTY_MEMORY).target
    assert p_low is not None and p_high is not None
    assert p_high >= p_low


@given(st.lists(values, min_size=1, max_size=15), st.integers(1, 40))
def test_a_scale_in_never_goes_below_a_recommendation_inside_the_window(history: list[float], total: int) -> None:
    policy = tracking(window=300)
    cap = GroupCapacity(total=total, serving=total, min_size=0, max_size=100)
    memory = EMPTY_MEMORY
    proposal = None
    for minute, value in enumerate(history):
        proposal = policy.evaluate(snapshot(cap, value, T0 + timedelta(minutes=minute)), memory)
        memory = proposal.memory
    assert proposal is not None and proposal.target is not None
    if proposal.target < total:
        recent = [r for t, r in memory.recommendations if t >= proposal.memory.recommendations[-1][0]
                  - timedelta(seconds=300)]
        assert proposal.target >= max(recent)


targets = st.one_of(st.none(), st.integers(0, 80))


@given(capacities(), st.lists(targets, min_size=1, max_size=5))
def test_arbitration_scales_in_only_when_every_opinion_is_below_the_total(
    cap: GroupCapacity, wanted: list[int | None]
) -> None:
    proposals = tuple(
        Proposal(policy=f"p{i}", kind=PolicyKind.TARGET_TRACKING, memory=PolicyMemory(), target=t)
        for i, t in enumerate(wanted)
    )
    decision = arbitrate(proposals, GroupSnapshot(now=T0, capacity=cap))
    opinions = [t for t in wanted if t is not None]
    if decision.target is not None and decision.target < cap.total and cap.total <= cap.max_size:
        assert opinions and all(t < cap.total for t in opinions)
        assert decision.target >= min(cap.total, cap.standby + cap.protected)
    if any(t > cap.total for t in opinions) and cap.total < cap.max_size:
        assert decision.target is not None
        assert decision.target == min(max(opinions), cap.max_size, cap.total + 500)


@given(st.integers(1, 200), st.integers(1, 300), st.integers(1, 5))
def test_a_breach_inside_one_step_during_warm_up_acts_once(total: int, percent: int, magnitude: int) -> None:
    policy = StepScalingPolicy(
        name="s", metric=CPU, comparison=Comparison.GE, threshold=50, adjustment_type=AdjustmentType.PERCENT,
        steps=(StepAdjustment(lower=0, upper=None, adjustment=percent),), min_adjustment_magnitude=magnitude,
        warmup=timedelta(minutes=5),
    )
    cap = GroupCapacity(total=total, serving=total, min_size=0, max_size=1000)
    first = policy.evaluate(snapshot(cap, 80.0), EMPTY_MEMORY)
    assert first.target is not None and first.target > total and first.acted_memory is not None
    grown = first.target
    cap2 = GroupCapacity(total=grown, serving=total, warming=grown - total, min_size=0, max_size=1000)
    second = policy.evaluate(snapshot(cap2, 80.0, T0 + timedelta(minutes=1)), first.acted_memory)
    assert second.target == grown


schedules = st.builds(
    lambda kind_value, hour, minute: (kind_value[0], kind_value[1], hour, minute),
    st.sampled_from([(RecurrenceType.DAILY, "1"), (RecurrenceType.DAILY, "2"), (RecurrenceType.WEEKLY, "1,3,5"),
                     (RecurrenceType.MONTHLY, "1-3"), (RecurrenceType.CRON, "*/20 * * * ?"),
                     (RecurrenceType.CRON, "15 8 * * 1-5")]),
    st.integers(0, 23), st.integers(0, 59),
)


def _schedule(spec: tuple[RecurrenceType, str, int, int]) -> Schedule:
    kind, value, hour, minute = spec
    return Schedule(launch_time=datetime(2026, 1, 1, hour, minute, tzinfo=UTC), recurrence_type=kind,
                    recurrence_value=value, recurrence_end_time=datetime(2026, 3, 1, tzinfo=UTC))


@settings(max_examples=25, deadline=None)
@given(schedules, st.integers(0, 40 * 24 * 60), st.sampled_from([7, 13, 60]))
def test_a_scheduled_rule_executes_once_at_each_fire_time(
    spec: tuple[RecurrenceType, str, int, int], start_minute: int, step: int
) -> None:
    schedule = _schedule(spec)
    policy = ScheduledPolicy(name="s", schedule=schedule, rule_ari="ari:acs:ess:r:1:scalingrule/x",
                             launch_expiration=timedelta(seconds=600))
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=start_minute)
    cap = GroupCapacity(total=1, serving=1, min_size=0, max_size=10)
    memory, fired = EMPTY_MEMORY, []
    ticks = [start + timedelta(minutes=step * i) for i in range(3 * 24 * 60 // step)]
    for now in ticks:
        proposal = policy.evaluate(GroupSnapshot(now=now, capacity=cap), memory)
        if proposal.execute is not None:
            fired.append(proposal.execute.fire_time)
        memory = proposal.acted_memory or proposal.memory
    # Every fire time that a tick reached within LaunchExpirationTime ran exactly once, in order.
    expected = [f for f in schedule.fires_between(start - timedelta(seconds=601), ticks[-1])
                if any(f <= t <= f + timedelta(seconds=600) for t in ticks)]
    assert fired == expected


@settings(max_examples=25, deadline=None)
@given(schedules, st.lists(st.integers(0, 59 * 24 * 60), min_size=1, max_size=30), st.integers(1, 48))
def test_a_window_bounds_exactly_while_a_fire_time_is_less_than_its_duration_ago(
    spec: tuple[RecurrenceType, str, int, int], minutes: list[int], hours: int
) -> None:
    schedule = _schedule(spec)
    duration = timedelta(hours=hours)
    policy = ScheduledPolicy(name="w", schedule=schedule, window=duration, floor=3)
    cap = GroupCapacity(total=1, serving=1, min_size=0, max_size=10)
    memory = EMPTY_MEMORY
    for m in sorted(minutes):
        now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=m)
        proposal = policy.evaluate(GroupSnapshot(now=now, capacity=cap), memory)
        memory = proposal.memory
        inside = any(True for _ in schedule.fires_between(now - duration, now))
        assert (proposal.floor == 3) == inside
