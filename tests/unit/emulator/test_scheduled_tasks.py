"""Scheduled tasks of the emulator: the four actions, their documented errors, and firing on a virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator._state import ActivityRecord
from autoscaler.emulator.scheduled import RETRY_SECONDS
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import EssError

START = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
REGION = "cn-hangzhou"


class World:
    """One Active group with a +1 rule, on a virtual clock."""

    def __init__(self, **settings: Any) -> None:
        self.clock = VirtualClock(START)
        self.service = EssService(self.clock, settings=EmulatorSettings(**({"launch_seconds": 60} | settings)))
        self.group = self.call("CreateScalingGroup", RegionId=REGION, MinSize="0", MaxSize="10")["ScalingGroupId"]
        config = self.call("CreateScalingConfiguration", ScalingGroupId=self.group, InstanceType="ecs.g6.large",
                           SecurityGroupId="sg-1", ImageId="img-1")["ScalingConfigurationId"]
        self.call("EnableScalingGroup", ScalingGroupId=self.group, ActiveScalingConfigurationId=config)
        self.ari = self.rule(1)

    def call(self, action: str, **params: str) -> dict[str, Any]:
        return self.service.handle(action, params)

    def rule(self, value: int, kind: str = "QuantityChangeInCapacity") -> str:
        return str(self.call("CreateScalingRule", ScalingGroupId=self.group, AdjustmentType=kind,
                             AdjustmentValue=str(value))["ScalingRuleAri"])

    def task(self, launch: str, ari: str | None = None, **params: str) -> str:
        return str(self.call("CreateScheduledTask", RegionId=REGION, ScheduledAction=ari or self.ari,
                             LaunchTime=launch, **params)["ScheduledTaskId"])

    def error(self, action: str, **params: str) -> EssError:
        with pytest.raises(EssError) as caught:
            self.service.handle(action, params)
        return caught.value

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        self.service.advance(when)

    def activities(self) -> list[ActivityRecord]:
        found = [a for a in self.service.state.activities.values() if a.group_id == self.group]
        return sorted(found, key=lambda a: a.seq)

    def total(self) -> int:
        return len(self.service.state.group_instances.get(self.group, {}))

    def described(self, **filters: str) -> list[dict[str, Any]]:
        body = self.call("DescribeScheduledTasks", RegionId=REGION, **filters)
        return list(body["ScheduledTasks"]["ScheduledTask"])


def minute(hh: int, mm: int, day: int = 1) -> datetime:
    return datetime(2024, 1, day, hh, mm, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return World()


# --------------------------------------------------------------------------- create / describe


def test_create_returns_an_id_and_describe_shows_the_documented_defaults(world: World) -> None:
    task_id = world.task("2024-01-01T00:10Z")
    [item] = world.described()
    assert item == {"ScheduledTaskId": task_id, "ScheduledTaskName": task_id, "ScheduledAction": world.ari,
                    "LaunchTime": "2024-01-01T00:10Z", "LaunchExpirationTime": 600, "TaskEnabled": True}


def test_describe_shows_every_field_of_a_recurring_task(world: World) -> None:
    world.task("2024-01-01T09:00Z", ScheduledTaskName="nightly", Description="scale for the batch",
               LaunchExpirationTime="120", RecurrenceType="Cron", RecurrenceValue="0 9 ? * 5L",
               RecurrenceEndTime="2024-03-01T00:00Z", TaskEnabled="false")
    [item] = world.described()
    assert item["ScheduledTaskName"] == "nightly"
    assert item["Description"] == "scale for the batch"
    assert item["LaunchExpirationTime"] == 120
    assert (item["RecurrenceType"], item["RecurrenceValue"], item["RecurrenceEndTime"]) == (
        "Cron", "0 9 ? * 5L", "2024-03-01T00:00Z")
    assert item["TaskEnabled"] is False


def test_describe_filters_by_id_name_and_action_and_ignores_unknown_values(world: World) -> None:
    other = world.rule(2)
    one = world.task("2024-01-01T00:10Z", ScheduledTaskName="one")
    two = world.task("2024-01-01T00:20Z", other, ScheduledTaskName="two")
    assert [t["ScheduledTaskId"] for t in world.described(**{"ScheduledTaskId.1": one, "ScheduledTaskId.2": "x"})] \
        == [one]
    assert [t["ScheduledTaskId"] for t in world.described(**{"ScheduledTaskName.1": "two"})] == [two]
    assert [t["ScheduledTaskId"] for t in world.described(**{"ScheduledAction.1": other})] == [two]
    assert world.described(**{"ScheduledTaskId.1": "sst-missing"}) == []
    assert [t["ScheduledTaskId"] for t in world.described()] == [one, two]


def test_describe_pages_and_limits_ids_to_twenty(world: World) -> None:
    ids = [world.task(f"2024-01-01T01:{i:02d}Z") for i in range(12)]
    body = world.call("DescribeScheduledTasks", RegionId=REGION, PageNumber="2", PageSize="5")
    assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (12, 2, 5)
    assert [t["ScheduledTaskId"] for t in body["ScheduledTasks"]["ScheduledTask"]] == ids[5:10]
    assert len(world.described()) == 10  # PageSize defaults to 10
    error = world.error("DescribeScheduledTasks", RegionId=REGION, **{"ScheduledTaskId.21": ids[0]})
    assert error.code == "InvalidParameter"


def test_quota_of_twenty_scheduled_tasks(world: World) -> None:
    for i in range(20):
        world.task(f"2024-01-01T01:{i:02d}Z")
    error = world.error("CreateScheduledTask", RegionId=REGION, ScheduledAction=world.ari,
                        LaunchTime="2024-01-02T00:00Z")
    assert (error.code, error.http_status, error.message) == (
        "QuotaExceeded.ScheduledTask", 400, "Scheduled task quota exceeded.")


def test_quota_is_a_setting() -> None:
    world = World(max_scheduled_tasks=1)
    world.task("2024-01-01T01:00Z")
    assert world.error("CreateScheduledTask", RegionId=REGION, ScheduledAction=world.ari,
                       LaunchTime="2024-01-02T00:00Z").code == "QuotaExceeded.ScheduledTask"


def test_task_names_are_unique_in_the_region(world: World) -> None:
    world.task("2024-01-01T01:00Z", ScheduledTaskName="daily-batch")
    error = world.error("CreateScheduledTask", RegionId=REGION, ScheduledAction=world.ari,
                        LaunchTime="2024-01-02T00:00Z", ScheduledTaskName="daily-batch")
    assert (error.code, error.message) == (
        "InvalidScheduledTaskName.Duplicate", "The specified value of parameter ScheduledTaskName is duplicated.")


def test_scheduled_action_in_another_region_is_a_region_mismatch(world: World) -> None:
    foreign = world.ari.replace(f":{REGION}:", ":cn-beijing:")
    error = world.error("CreateScheduledTask", RegionId=REGION, ScheduledAction=foreign,
                        LaunchTime="2024-01-02T00:00Z")
    assert (error.code, error.message) == (
        "ScheduledAction.RegionMismatch",
        "The specified scheduled task and the specified scheduled action are not in the same Region.")


def test_scheduled_action_naming_no_rule_is_not_found(world: World) -> None:
    error = world.error("CreateScheduledTask", RegionId=REGION, LaunchTime="2024-01-02T00:00Z",
                        ScheduledAction=f"ari:acs:ess:{REGION}:1344371:scalingrule/asr-nothing")
    assert (error.code, error.http_status) == ("InvalidScalingRuleAri.NotFound", 404)


def test_another_region_id_is_not_found(world: World) -> None:
    error = world.error("CreateScheduledTask", RegionId="cn-beijing", ScheduledAction=world.ari,
                        LaunchTime="2024-01-02T00:00Z")
    assert (error.code, error.http_status) == ("InvalidRegionId.NotFound", 404)


@pytest.mark.parametrize("missing", ["ScheduledAction", "LaunchTime", "RegionId"])
def test_required_parameters_are_missing_parameter(world: World, missing: str) -> None:
    params = {"RegionId": REGION, "ScheduledAction": world.ari, "LaunchTime": "2024-01-02T00:00Z"}
    del params[missing]
    error = world.error("CreateScheduledTask", **params)
    assert error.code == "MissingParameter"
    assert missing in error.message


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"LaunchTime": "2024-04-01T00:01Z"}, "LaunchTime"),  # 90 days + 1 minute after creation
        ({"LaunchTime": "2024-01-02 00:00"}, "LaunchTime"),
        ({"ScheduledTaskName": "-bad"}, "ScheduledTaskName"),
        ({"ScheduledTaskName": "x"}, "ScheduledTaskName"),
        ({"Description": "x"}, "Description"),
        ({"Description": "y" * 201}, "Description"),
        ({"LaunchExpirationTime": "21601"}, "LaunchExpirationTime"),
        ({"LaunchExpirationTime": "-1"}, "LaunchExpirationTime"),
        ({"ScheduledAction": "acs:ess:rule/1"}, "ScheduledAction"),
        ({"RecurrenceType": "Hourly", "RecurrenceValue": "1", "RecurrenceEndTime": "2024-01-05T00:00Z"},
         "RecurrenceType"),
        ({"RecurrenceType": "Weekly", "RecurrenceValue": "7", "RecurrenceEndTime": "2024-01-05T00:00Z"},
         "RecurrenceValue"),
        ({"RecurrenceType": "Daily", "RecurrenceValue": "1", "RecurrenceEndTime": "2024-04-01T00:01Z"},
         "RecurrenceEndTime"),
        ({"TaskEnabled": "yes"}, "TaskEnabled"),
    ],
)
def test_invalid_values_are_invalid_parameter_naming_the_field(
    world: World, params: dict[str, str], name: str
) -> None:
    full = {"RegionId": REGION, "ScheduledAction": world.ari, "LaunchTime": "2024-01-02T00:00Z"} | params
    error = world.error("CreateScheduledTask", **full)
    assert (error.code, error.message) == ("InvalidParameter", f"The specified value of parameter {name} is not valid.")
    assert world.described() == []


def test_launch_time_exactly_ninety_days_ahead_is_accepted(world: World) -> None:
    world.task("2024-03-31T00:00Z")  # 2024 is a leap year: Jan 1 + 90 days
    assert len(world.described()) == 1


def test_a_partial_recurrence_is_missing_parameter(world: World) -> None:
    error = world.error("CreateScheduledTask", RegionId=REGION, ScheduledAction=world.ari,
                        LaunchTime="2024-01-02T00:00Z", RecurrenceType="Daily", RecurrenceValue="1")
    assert error.code == "MissingParameter"
    assert "RecurrenceEndTime" in error.message


# --------------------------------------------------------------------------- modify / delete


def test_modify_and_delete_unknown_task_are_not_found(world: World) -> None:
    for action in ("ModifyScheduledTask", "DeleteScheduledTask"):
        error = world.error(action, ScheduledTaskId="sst-nothing")
        assert (error.code, error.http_status, error.message) == (
            "InvalidScheduledTaskId.NotFound", 404, "The specified scheduled task does not exist.")


def test_modify_name_to_a_taken_one_is_duplicate(world: World) -> None:
    world.task("2024-01-01T01:00Z", ScheduledTaskName="first")
    second = world.task("2024-01-01T02:00Z", ScheduledTaskName="second")
    error = world.error("ModifyScheduledTask", ScheduledTaskId=second, ScheduledTaskName="first")
    assert error.code == "InvalidScheduledTaskName.Duplicate"
    world.call("ModifyScheduledTask", ScheduledTaskId=second, ScheduledTaskName="second")  # its own name is fine


def test_modify_scheduled_action_to_another_region_is_a_region_mismatch(world: World) -> None:
    task = world.task("2024-01-01T01:00Z")
    error = world.error("ModifyScheduledTask", ScheduledTaskId=task,
                        ScheduledAction=world.ari.replace(f":{REGION}:", ":cn-beijing:"))
    assert error.code == "ScheduledAction.RegionMismatch"


def test_modify_launch_time_moves_the_firing(world: World) -> None:
    task = world.task("2024-01-01T00:10Z")
    world.call("ModifyScheduledTask", ScheduledTaskId=task, LaunchTime="2024-01-01T00:30Z")
    world.at(minute(0, 20))
    assert world.activities() == []
    world.at(minute(0, 30))
    assert len(world.activities()) == 1


def test_modify_keeps_stored_recurrence_fields_not_given(world: World) -> None:
    task = world.task("2024-01-01T00:10Z", RecurrenceType="Daily", RecurrenceValue="1",
                      RecurrenceEndTime="2024-01-10T00:00Z")
    world.call("ModifyScheduledTask", ScheduledTaskId=task, LaunchTime="2024-01-02T08:00Z",
               RecurrenceEndTime="2024-01-20T00:00Z")
    [item] = world.described()
    assert (item["LaunchTime"], item["RecurrenceType"], item["RecurrenceEndTime"]) == (
        "2024-01-02T08:00Z", "Daily", "2024-01-20T00:00Z")


def test_modify_adding_only_part_of_a_recurrence_is_missing_parameter(world: World) -> None:
    task = world.task("2024-01-01T00:10Z")
    error = world.error("ModifyScheduledTask", ScheduledTaskId=task, RecurrenceType="Daily")
    assert error.code == "MissingParameter"


def test_modify_applies_the_ninety_day_limit_at_modification_time(world: World) -> None:
    task = world.task("2024-01-01T00:10Z")
    assert world.error("ModifyScheduledTask", ScheduledTaskId=task, LaunchTime="2024-04-01T00:01Z").code \
        == "InvalidParameter"
    world.at(minute(0, 5, day=2))
    world.call("ModifyScheduledTask", ScheduledTaskId=task, LaunchTime="2024-04-01T00:01Z")


def test_disabled_task_does_not_fire_until_enabled_again(world: World) -> None:
    task = world.task("2024-01-01T00:10Z", RecurrenceType="Daily", RecurrenceValue="1",
                      RecurrenceEndTime="2024-01-05T00:00Z")
    world.call("ModifyScheduledTask", ScheduledTaskId=task, TaskEnabled="false")
    world.at(minute(0, 30))
    assert world.activities() == []
    world.call("ModifyScheduledTask", ScheduledTaskId=task, TaskEnabled="true")
    world.at(minute(0, 10, day=2))
    assert len(world.activities()) == 1


def test_deleted_task_never_fires(world: World) -> None:
    task = world.task("2024-01-01T00:10Z")
    world.call("DeleteScheduledTask", ScheduledTaskId=task)
    world.at(minute(1, 0))
    assert world.activities() == []
    assert world.described() == []


# --------------------------------------------------------------------------- firing


def test_one_shot_task_executes_its_rule_at_launch_time(world: World) -> None:
    world.task("2024-01-01T00:10Z")
    world.at(minute(0, 9))
    assert world.activities() == []
    world.at(minute(0, 10))
    [activity] = world.activities()
    assert activity.start_time == minute(0, 10)
    assert activity.cause.startswith('A scheduled task executes scaling rule "')
    world.at(minute(2, 0))
    assert world.total() == 1
    assert len(world.activities()) == 1


def test_daily_task_fires_every_day_until_its_end_time_inclusive(world: World) -> None:
    world.task("2024-01-01T06:00Z", RecurrenceType="Daily", RecurrenceValue="1",
               RecurrenceEndTime="2024-01-03T06:00Z")
    world.at(minute(0, 0, day=6))
    assert [a.start_time for a in world.activities()] == [minute(6, 0, 1), minute(6, 0, 2), minute(6, 0, 3)]
    assert world.total() == 3


def test_busy_group_retries_and_runs_when_the_activity_ends(world: World) -> None:
    world.task("2024-01-01T00:10Z")
    world.clock.set(minute(0, 9) + timedelta(seconds=30))
    world.call("ExecuteScalingRule", ScalingRuleAri=world.ari)  # ends 60 s later, at 00:10:30
    world.at(minute(0, 15))
    first, second = world.activities()
    assert first.end_time == minute(0, 10) + timedelta(seconds=30)
    assert second.start_time == first.end_time
    assert second.cause.startswith("A scheduled task executes")


def test_busy_past_launch_expiration_time_abandons_the_occurrence() -> None:
    world = World(launch_seconds=300)
    world.task("2024-01-01T00:10Z", LaunchExpirationTime="60", RecurrenceType="Daily", RecurrenceValue="1",
               RecurrenceEndTime="2024-01-03T00:00Z")
    world.clock.set(minute(0, 9))
    world.call("ExecuteScalingRule", ScalingRuleAri=world.ari)  # busy until 00:14
    world.at(minute(1, 0))
    assert len(world.activities()) == 1
    world.at(minute(0, 10, day=2))
    assert [a.start_time for a in world.activities()][1:] == [minute(0, 10, day=2)]


def test_disabled_group_retries_and_runs_once_enabled_within_the_window(world: World) -> None:
    world.task("2024-01-01T00:10Z")
    world.call("DisableScalingGroup", ScalingGroupId=world.group)
    world.at(minute(0, 12))
    assert world.activities() == []
    world.call("EnableScalingGroup", ScalingGroupId=world.group)
    world.at(minute(0, 13))
    [activity] = world.activities()
    assert minute(0, 12) <= activity.start_time <= minute(0, 12) + timedelta(seconds=RETRY_SECONDS)


def test_disabled_group_past_the_window_never_runs(world: World) -> None:
    world.task("2024-01-01T00:10Z", LaunchExpirationTime="0")
    world.call("DisableScalingGroup", ScalingGroupId=world.group)
    world.at(minute(0, 11))
    world.call("EnableScalingGroup", ScalingGroupId=world.group)
    world.at(minute(1, 0))
    assert world.activities() == []


def test_earliest_due_task_runs_first_when_the_group_frees_up() -> None:
    world = World(launch_seconds=150)
    plus_two, plus_three = world.rule(2), world.rule(3)
    world.task("2024-01-01T00:11Z", plus_three, ScheduledTaskName="later")
    world.task("2024-01-01T00:10Z", plus_two, ScheduledTaskName="earlier")
    world.clock.set(minute(0, 9) + timedelta(seconds=50))
    world.call("ExecuteScalingRule", ScalingRuleAri=world.ari)  # busy until 00:12:20, both tasks wait
    world.at(minute(0, 30))
    starts = [(a.start_time, a.capacity_to - a.capacity_from) for a in world.activities()]
    assert starts == [
        (minute(0, 9) + timedelta(seconds=50), 1),
        (minute(0, 12) + timedelta(seconds=20), 2),   # the 00:10 task first
        (minute(0, 14) + timedelta(seconds=50), 3),   # the 00:11 task when that one ends
    ]


def test_tasks_due_in_the_same_minute_run_in_creation_order(world: World) -> None:
    plus_two = world.rule(2)
    world.task("2024-01-01T00:10Z", plus_two, ScheduledTaskName="created-first")
    world.task("2024-01-01T00:10Z", ScheduledTaskName="created-second")
    world.at(minute(0, 20))
    assert [a.capacity_to - a.capacity_from for a in world.activities()] == [2, 1]


def test_cooldown_does_not_hold_back_a_scheduled_task(world: World) -> None:
    world.task("2024-01-01T00:05Z")
    world.call("ExecuteScalingRule", ScalingRuleAri=world.ari)  # ends at 00:01, cooldown 300 s to 00:06
    world.at(minute(0, 5))
    group = world.service.state.groups[world.group]
    assert group.cooldown_until is not None
    assert len(world.activities()) == 2
    assert world.activities()[1].start_time == minute(0, 5)


def test_a_refused_execution_spends_the_occurrence_without_retrying(world: World) -> None:
    to_zero = world.rule(0, "TotalCapacity")
    world.task("2024-01-01T00:10Z", to_zero, RecurrenceType="Daily", RecurrenceValue="1",
               RecurrenceEndTime="2024-01-03T00:00Z")
    world.at(minute(0, 10))
    assert world.activities() == []  # IncorrectCapacity.NoChange: nothing to retry
    due = [e for e in world.service.state.events if world.service.state.live_event(e.seq)]
    assert [e.due for e in due if e.kind == "scheduled.fire"] == [minute(0, 10, day=2)]


def test_launch_time_just_past_still_fires_within_its_window(world: World) -> None:
    world.at(minute(0, 12))
    world.task("2024-01-01T00:10Z")
    world.at(minute(0, 12))
    assert len(world.activities()) == 1


def test_launch_time_past_its_window_never_fires(world: World) -> None:
    world.at(minute(0, 30))
    world.task("2024-01-01T00:10Z")
    world.at(minute(2, 0))
    assert world.activities() == []


def test_a_task_whose_rule_was_deleted_fires_nothing(world: World) -> None:
    plus_two = world.rule(2)
    world.task("2024-01-01T00:10Z", plus_two)
    rule_id = plus_two.rpartition("/")[2]
    world.call("DeleteScalingRule", ScalingRuleId=rule_id)
    world.at(minute(1, 0))
    assert world.activities() == []
    assert world.service.internal_errors == []


def test_cron_task_fires_on_the_last_friday(world: World) -> None:
    world.task("2024-01-01T00:00Z", RecurrenceType="Cron", RecurrenceValue="30 9 ? * 5L",
               RecurrenceEndTime="2024-03-01T00:00Z")
    world.at(datetime(2024, 3, 1, tzinfo=UTC))
    assert [a.start_time for a in world.activities()] == [
        datetime(2024, 1, 26, 9, 30, tzinfo=UTC), datetime(2024, 2, 23, 9, 30, tzinfo=UTC)]
    assert world.service.internal_errors == []


def test_tasks_and_their_retries_survive_a_restart(tmp_path: Any) -> None:
    from autoscaler.emulator.store import SqliteStore

    path = tmp_path / "ess.db"
    world = World()
    world.service = EssService(world.clock, settings=world.service.settings, store=SqliteStore(path))
    world.group = world.call("CreateScalingGroup", RegionId=REGION, MinSize="0", MaxSize="10")["ScalingGroupId"]
    config = world.call("CreateScalingConfiguration", ScalingGroupId=world.group, InstanceType="ecs.g6.large",
                        SecurityGroupId="sg-1", ImageId="img-1")["ScalingConfigurationId"]
    world.call("EnableScalingGroup", ScalingGroupId=world.group, ActiveScalingConfigurationId=config)
    world.ari = world.rule(1)
    world.task("2024-01-01T00:10Z", RecurrenceType="Daily", RecurrenceValue="1", RecurrenceEndTime="2024-01-02T00:10Z")
    world.clock.set(minute(0, 9) + timedelta(seconds=30))
    world.call("ExecuteScalingRule", ScalingRuleAri=world.ari)
    world.at(minute(0, 10))  # the task is retrying while the group is busy
    restarted = EssService(world.clock, settings=world.service.settings, store=SqliteStore(path))
    world.service = restarted
    world.at(minute(0, 10, day=3))
    assert [a.start_time for a in world.activities()] == [
        minute(0, 9) + timedelta(seconds=30), minute(0, 10) + timedelta(seconds=30), minute(0, 10, day=2)]
    assert [t["ScheduledTaskId"] for t in world.described()] == list(restarted.state.scheduled_tasks)
