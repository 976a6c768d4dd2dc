"""Scheduled tasks firing in the emulator: the documented retry window holds for any mix of tasks and activities.

Each task executes its own +1 rule (named after the task), so every activity says
which task started it. For random tasks, LaunchExpirationTimes, launch durations
and user executions that keep the group busy, checked after the run:

- a task executes at most once per occurrence, never before the occurrence and never
  after its LaunchExpirationTime;
- an occurrence that never executed found the group busy during its whole window
  (the group is never idle while a task is still waiting);
- the emulator raised nothing unexpected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from autoscaler.clock import VirtualClock
from autoscaler.emulator._state import ActivityRecord
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import EssError
from autoscaler.ess.recurrence import RecurrenceType, Schedule, format_wire_minute

START = datetime(2024, 1, 1, tzinfo=UTC)
END = START + timedelta(days=3)

tasks = st.lists(
    st.tuples(st.integers(1, 120), st.sampled_from([0, 30, 60, 300, 600]), st.booleans()), min_size=1, max_size=4)
user_calls = st.lists(st.integers(0, 200 * 60), max_size=6)


def _setup(launch_seconds: int) -> tuple[VirtualClock, EssService, str]:
    clock = VirtualClock(START)
    service = EssService(clock, settings=EmulatorSettings(launch_seconds=launch_seconds, max_group_size=1000))
    group = service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1000"})
    gid = group["ScalingGroupId"]
    config = service.handle("CreateScalingConfiguration", {"ScalingGroupId": gid, "InstanceType": "ecs.g6.large",
                                                           "SecurityGroupId": "sg-1", "ImageId": "img-1"})
    service.handle("EnableScalingGroup", {"ScalingGroupId": gid,
                                          "ActiveScalingConfigurationId": config["ScalingConfigurationId"]})
    return clock, service, gid


def _busy_over(activities: list[ActivityRecord], start: datetime, end: datetime) -> bool:
    """Whether activities cover every instant of [start, end] (touching intervals chain)."""
    covered_to = start
    for act in sorted(activities, key=lambda a: a.start_time):
        if act.start_time > covered_to:
            break
        if act.end_time is not None and act.end_time > covered_to:
            covered_to = act.end_time
    return covered_to >= end


@settings(max_examples=150, deadline=None)
@given(tasks, user_calls, st.integers(30, 400))
def test_every_occurrence_runs_once_inside_its_window_or_found_the_group_busy_throughout(
    specs: list[tuple[int, int, bool]], calls: list[int], launch_seconds: int
) -> None:
    clock, service, gid = _setup(launch_seconds)
    schedules: dict[str, tuple[Schedule, int]] = {}
    for index, (minute, expiration, daily) in enumerate(specs):
        name = f"task-{index}"
        ari = service.handle("CreateScalingRule", {"ScalingGroupId": gid, "ScalingRuleName": name,
                                                   "AdjustmentType": "QuantityChangeInCapacity",
                                                   "AdjustmentValue": "1"})["ScalingRuleAri"]
        launch = START + timedelta(minutes=minute)
        recurrence = {"RecurrenceType": "Daily", "RecurrenceValue": "1",
                      "RecurrenceEndTime": format_wire_minute(launch + timedelta(days=1))} if daily else {}
        service.handle("CreateScheduledTask", {"RegionId": "cn-hangzhou", "ScheduledAction": ari,
                                               "LaunchTime": format_wire_minute(launch),
                                               "LaunchExpirationTime": str(expiration), **recurrence})
        schedules[name] = (Schedule(launch_time=launch, recurrence_type=RecurrenceType.DAILY if daily else None,
                                    recurrence_value="1" if daily else None,
                                    recurrence_end_time=launch + timedelta(days=1) if daily else None), expiration)
    user = service.handle("CreateScalingRule", {"ScalingGroupId": gid, "ScalingRuleName": "user",
                                                "AdjustmentType": "QuantityChangeInCapacity", "AdjustmentValue": "1"})
    for offset in sorted(calls):
        clock.set(max(clock.now(), START + timedelta(seconds=offset)))
        try:
            service.handle("ExecuteScalingRule", {"ScalingRuleAri": user["ScalingRuleAri"]})
        except EssError as exc:
            assert exc.code == "ScalingActivityInProgress"
    clock.set(END)
    service.advance(END)

    assert service.internal_errors == []
    activities = [a for a in service.state.activities.values() if a.group_id == gid]
    for name, (schedule, expiration) in schedules.items():
        ran = sorted(a.start_time for a in activities if f'scaling rule "{name}"' in a.cause)
        for fire in schedule.fires_between(START, END):
            window_end = fire + timedelta(seconds=expiration)
            inside = [t for t in ran if fire <= t <= window_end]
            assert len(inside) <= 1, (name, fire, ran)
            if not inside:
                others = [a for a in activities if a.start_time <= window_end]
                assert _busy_over(others, fire, window_end), (name, fire, expiration)
            ran = [t for t in ran if t not in inside]
        assert ran == [], f"{name} ran outside every occurrence window: {ran}"
