"""Scheduled policies: rule executions within LaunchExpirationTime, floor and cap windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from policy_helpers import run, snap

from autoscaler.ess.recurrence import RecurrenceType, Schedule
from autoscaler.policy import EMPTY_MEMORY, LimitKind, ScheduledPolicy

ARI = "ari:acs:ess:cn-hangzhou:1344371:scalingrule/asr-nightly"
END = datetime(2026, 12, 31, tzinfo=UTC)


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)  # 2026-03-02 is a Monday


def nightly(expiration: int = 600) -> ScheduledPolicy:
    schedule = Schedule(launch_time=t(1, 1), recurrence_type=RecurrenceType.CRON, recurrence_value="0 1 * * ?",
                        recurrence_end_time=END)
    return ScheduledPolicy(name="nightly", schedule=schedule, rule_ari=ARI,
                           launch_expiration=timedelta(seconds=expiration))


def office_hours() -> ScheduledPolicy:
    schedule = Schedule(launch_time=t(2, 8), recurrence_type=RecurrenceType.WEEKLY, recurrence_value="1,2,3,4,5",
                        recurrence_end_time=END)
    return ScheduledPolicy(name="office", schedule=schedule, window=timedelta(hours=10), floor=10, cap=40)


def test_a_rule_executes_at_its_fire_time_once() -> None:
    times = [t(3, 0, 58), t(3, 0, 59), t(3, 1), t(3, 1, 1), t(3, 1, 2)]
    proposals = run(nightly(), [snap(now=x) for x in times])
    assert [p.execute is not None for p in proposals] == [False, False, True, False, False]
    execution = proposals[2].execute
    assert execution is not None and execution.fire_time == t(3, 1) and execution.cooldown is None


def test_a_busy_group_retries_within_launch_expiration_time_inclusive() -> None:
    times = [t(3, 1), t(3, 1, 5), t(3, 1, 10), t(3, 1, 11)]
    proposals = run(nightly(expiration=600), [snap(now=x) for x in times], act=False)
    assert [p.execute is not None for p in proposals] == [True, True, True, False]
    assert LimitKind.EXPIRED in {lim.kind for lim in proposals[3].limits}


def test_the_next_days_fire_time_follows_an_executed_one() -> None:
    times = [t(3, 1), t(3, 12), t(4, 1)]
    proposals = run(nightly(), [snap(now=x) for x in times])
    assert [p.execute is not None for p in proposals] == [True, False, True]
    assert proposals[1].memory.next_fire == t(4, 1)


def test_a_fire_time_missed_while_the_controller_was_down_is_abandoned_after_expiration() -> None:
    proposal = nightly().evaluate(snap(now=t(3, 1, 30)), EMPTY_MEMORY)
    assert proposal.execute is None
    started_late = nightly().evaluate(snap(now=t(3, 1, 9)), EMPTY_MEMORY)
    assert started_late.execute is not None and started_late.execute.fire_time == t(3, 1)


@pytest.mark.parametrize(
    ("now", "inside"),
    [(t(2, 7, 59), False), (t(2, 8), True), (t(2, 17, 59), True), (t(2, 18), False),
     (t(6, 12), True), (t(7, 12), False), (t(8, 12), False)],
)
def test_a_window_holds_floor_and_cap_from_each_fire_time_for_its_duration(now: datetime, inside: bool) -> None:
    proposal = office_hours().evaluate(snap(now=now), EMPTY_MEMORY)
    assert (proposal.floor, proposal.cap) == ((10, 40) if inside else (None, None))
    assert proposal.target is None


def test_a_window_follows_time_across_days_with_its_memory() -> None:
    times = [t(2, 7), t(2, 9), t(2, 19), t(3, 8), t(7, 9), t(9, 9)]
    proposals = run(office_hours(), [snap(now=x) for x in times])
    assert [p.floor for p in proposals] == [None, 10, None, 10, None, 10]


def test_a_rule_or_a_window_but_not_both() -> None:
    schedule = Schedule(launch_time=t(2, 8))
    with pytest.raises(ValueError, match="either a rule ARI or a window"):
        ScheduledPolicy(name="x", schedule=schedule, rule_ari=ARI, window=timedelta(hours=1), floor=1)
    with pytest.raises(ValueError, match="floor 5 is above cap 4"):
        ScheduledPolicy(name="x", schedule=schedule, window=timedelta(hours=1), floor=5, cap=4)


def test_a_one_off_schedule_fires_once() -> None:
    policy = ScheduledPolicy(name="once", schedule=Schedule(launch_time=t(2, 8)), rule_ari=ARI)
    proposals = run(policy, [snap(now=x) for x in (t(2, 7), t(2, 8), t(2, 9), t(3, 8))])
    assert [p.execute is not None for p in proposals] == [False, True, False, False]
    assert "never again" in proposals[-1].formula
