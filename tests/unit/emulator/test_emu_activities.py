"""Activities over virtual time: launches, removals, outcomes, placement, hook waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator import _registry
from autoscaler.emulator._registry import Ctx
from autoscaler.emulator._state import ActivityRecord
from autoscaler.emulator.activities import release_from_wait
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings

from .conftest import Emu


def test_a_scale_out_stays_pending_for_the_launch_time_then_succeeds(emu: Emu) -> None:
    gid, _ = emu.group()
    start = emu.clock.now()
    aid = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 2))
    emu.clock.advance(59)
    assert {i["LifecycleState"] for i in emu.instances(gid)} == {"Pending"}
    assert emu.activity(aid)["Progress"] == 0
    emu.clock.advance(1)
    assert {i["LifecycleState"] for i in emu.instances(gid)} == {"InService"}
    activity = emu.activity(aid)
    assert activity["StatusCode"] == "Successful"
    assert activity["Progress"] == 100
    assert activity["StartTime"] == "2024-03-01T12:00Z"
    assert activity["EndTime"] == "2024-03-01T12:01Z"
    assert activity["StatusMessage"] == '"2" ECS instances is added.'
    ecs = emu.service.state.ecs_instances
    assert all(ecs[i].status == "Running" and ecs[i].created_by_ess for i in emu.ids(gid))
    assert emu.clock.now() - start == timedelta(seconds=60)


def test_a_scale_in_removes_after_the_removal_time_and_releases_instances(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 3)
    before = emu.ids(gid)
    aid = emu.execute(emu.rule(gid, "TotalCapacity", 1))
    info = emu.info(gid)
    assert (info["TotalCapacity"], info["RemovingCapacity"]) == (3, 2)
    emu.clock.advance(30)
    assert emu.ids(gid) == before[2:]  # OldestScalingConfiguration then OldestInstance
    activity = emu.activity(aid)
    assert activity["StatusCode"] == "Successful"
    assert activity["Description"] == 'Remove "2" ECS instances'
    assert all(i not in emu.service.state.ecs_instances for i in before[:2])


def test_newest_instance_policy_removes_the_latest_first(emu: Emu) -> None:
    gid, _ = emu.group(extra={"RemovalPolicy.1": "NewestInstance"})
    emu.scale_to(gid, 2)
    emu.scale_to(gid, 3)
    before = emu.ids(gid)
    emu.scale_to(gid, 2)
    assert emu.ids(gid) == before[:2]


def test_instances_of_the_oldest_configuration_go_first(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 1)
    newer = emu.call("CreateScalingConfiguration", ScalingGroupId=gid, ImageId="img-2", InstanceType="ecs.g6.large",
                     SecurityGroupId="sg-1")["ScalingConfigurationId"]
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, ActiveScalingConfigurationId=newer)
    emu.scale_to(gid, 3)
    emu.scale_to(gid, 2)
    assert {i["ScalingConfigurationId"] for i in emu.instances(gid)} == {newer}


def test_balance_spreads_launches_over_the_zones(clock: VirtualClock) -> None:
    settings = EmulatorSettings(vswitch_zones={"vsw-a": "zone-a", "vsw-b": "zone-b", "vsw-c": "zone-c"})
    emu = Emu(EssService(clock, settings=settings), clock)
    gid, _ = emu.group(max_size=20, MultiAZPolicy="BALANCE",
                       extra=emu.n("VSwitchIds", ["vsw-a", "vsw-b", "vsw-c"]))
    emu.scale_to(gid, 7)
    zones = [i["ZoneId"] for i in emu.instances(gid)]
    assert sorted(zones.count(z) for z in ("zone-a", "zone-b", "zone-c")) == [2, 2, 3]
    emu.scale_to(gid, 3)
    zones = [i["ZoneId"] for i in emu.instances(gid)]
    assert sorted(zones) == ["zone-a", "zone-b", "zone-c"]


def test_priority_uses_the_first_vswitch_and_falls_back_when_out_of_stock(clock: VirtualClock) -> None:
    settings = EmulatorSettings(vswitch_zones={"vsw-a": "zone-a", "vsw-b": "zone-b"}, zone_stock={"zone-a": 2})
    emu = Emu(EssService(clock, settings=settings), clock)
    gid, _ = emu.group(extra=emu.n("VSwitchIds", ["vsw-a", "vsw-b"]))
    emu.scale_to(gid, 3)
    assert [i["ZoneId"] for i in emu.instances(gid)] == ["zone-a", "zone-a", "zone-b"]


def test_a_partial_launch_ends_warning_and_no_launch_ends_failed(clock: VirtualClock) -> None:
    settings = EmulatorSettings(zones=("zone-a",), zone_stock={"zone-a": 2})
    emu = Emu(EssService(clock, settings=settings), clock)
    gid, _ = emu.group()
    aid = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 3))
    emu.settle()
    activity = emu.activity(aid)
    assert activity["StatusCode"] == "Warning"
    assert activity["StatusMessage"] == '"2" ECS instances is added, "1" failed.'
    aid = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    activity = emu.activity(aid)
    assert (activity["StatusCode"], activity["Progress"]) == ("Failed", 100)
    assert emu.service.state.groups[gid].current_activity_id is None


def test_recycle_stops_removed_instances_without_releasing_them(emu: Emu) -> None:
    gid, _ = emu.group(ScalingPolicy="recycle")
    emu.scale_to(gid, 2)
    ids = emu.ids(gid)
    emu.call("RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": ids[0], "RemovePolicy": "recycle"})
    emu.settle()
    ecs = emu.service.state.ecs_instances[ids[0]]
    assert (ecs.status, ecs.stopped_mode, ecs.scaling_group_id) == ("Stopped", "StopCharging", None)


def test_activities_are_listed_newest_first_for_thirty_days(emu: Emu) -> None:
    gid, _ = emu.group()
    first = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    emu.settle()
    emu.clock.advance(timedelta(days=20))
    second = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    emu.settle()
    listed = emu.call("DescribeScalingActivities", emu.region, ScalingGroupId=gid)
    assert [a["ScalingActivityId"] for a in listed["ScalingActivities"]["ScalingActivity"]] == [second, first]
    emu.clock.advance(timedelta(days=11))
    listed = emu.call("DescribeScalingActivities", emu.region, ScalingGroupId=gid)
    assert [a["ScalingActivityId"] for a in listed["ScalingActivities"]["ScalingActivity"]] == [second]
    by_status = emu.call("DescribeScalingActivities", emu.region, ScalingGroupId=gid, StatusCode="InProgress")
    assert by_status["TotalCount"] == 0


@pytest.fixture
def holding_gate() -> Iterator[dict[str, list[str]]]:
    """A lifecycle gate that holds every instance of the transitions listed under "hold"
    (what a hook with a long timeout does); it records what it held."""
    seen: dict[str, list[str]] = {"hold": ["SCALE_OUT"], "held": []}

    def gate(ctx: Ctx, activity: ActivityRecord, ids: list[str], transition: str) -> set[str]:
        if transition not in seen["hold"]:
            return set()
        seen["held"].extend(ids)
        return set(ids)

    _registry._GATES.append(gate)
    yield seen
    _registry._GATES.remove(gate)


def test_a_held_launch_stays_pending_until_continue(emu: Emu, holding_gate: dict[str, list[str]]) -> None:
    gid, _ = emu.group()
    aid = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 2))
    emu.clock.advance(600)
    assert {i["LifecycleState"] for i in emu.instances(gid)} == {"Pending"}
    held = holding_gate["held"]
    assert sorted(held) == sorted(emu.ids(gid))
    ctx = Ctx(emu.service.state, emu.service.settings, emu.clock.now())
    release_from_wait(ctx, held[0], "CONTINUE")
    assert emu.activity(aid)["Progress"] == 50
    release_from_wait(ctx, held[1], "ABANDON")
    activity = emu.activity(aid)
    assert activity["StatusCode"] == "Warning"
    assert emu.ids(gid) == [held[0]]
    assert held[1] not in emu.service.state.ecs_instances


def test_a_held_removal_waits_for_the_hook(emu: Emu, holding_gate: dict[str, list[str]]) -> None:
    holding_gate["hold"] = ["SCALE_IN"]
    gid, _ = emu.group()
    emu.scale_to(gid, 1)
    (instance_id,) = emu.ids(gid)
    aid = emu.execute(emu.rule(gid, "TotalCapacity", 0))
    emu.clock.advance(300)
    assert emu.instances(gid)[0]["LifecycleState"] == "Removing"
    assert holding_gate["held"] == [instance_id]
    release_from_wait(Ctx(emu.service.state, emu.service.settings, emu.clock.now()), instance_id, "ABANDON")
    assert emu.ids(gid) == []
    assert emu.activity(aid)["StatusCode"] == "Successful"


def _stop(emu: Emu, instance_id: str) -> None:
    """What the ECS side does when an instance stops (e.g. a redeploy with ForceStop)."""
    from autoscaler.emulator.activities import ecs_status_changed

    emu.service.state.ecs_instances[instance_id].status = "Stopped"
    ecs_status_changed(Ctx(emu.service.state, emu.service.settings, emu.clock.now()), instance_id)


def test_a_stopped_in_service_instance_turns_unhealthy_and_is_replaced(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2)
    sick, well = emu.ids(gid)
    _stop(emu, sick)
    assert emu.instances(gid)[0]["HealthStatus"] == "Unhealthy"
    assert emu.instances(gid)[0]["LifecycleState"] == "Removing"
    emu.settle()
    ids = emu.ids(gid)
    assert sick not in ids and well in ids and len(ids) == 2  # MinSize brought it back to 2
    assert sick not in emu.service.state.ecs_instances


def test_standby_and_protected_instances_keep_their_health_while_stopped(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2)
    standby, protected = emu.ids(gid)
    emu.call("EnterStandby", {"ScalingGroupId": gid, "InstanceId.1": standby})
    emu.call("SetInstancesProtection", {"ScalingGroupId": gid, "InstanceId.1": protected,
                                        "ProtectedFromScaleIn": "true"})
    _stop(emu, standby)
    _stop(emu, protected)
    assert {i["HealthStatus"] for i in emu.instances(gid)} == {"Healthy"}
    emu.call("ExitStandby", {"ScalingGroupId": gid, "InstanceId.1": standby})
    by_id = {i["InstanceId"]: i for i in emu.instances(gid)}
    assert by_id[standby]["HealthStatus"] == "Unhealthy"
    assert by_id[standby]["LifecycleState"] == "Removing"


def test_an_attached_unhealthy_instance_is_removed_but_not_released(emu: Emu) -> None:
    gid, _ = emu.group()
    attached = emu.ecs()
    emu.call("AttachInstances", {"ScalingGroupId": gid, "InstanceId.1": attached})
    emu.settle()
    _stop(emu, attached)
    emu.settle()
    assert emu.ids(gid) == []
    assert emu.service.state.ecs_instances[attached].status == "Stopped"
