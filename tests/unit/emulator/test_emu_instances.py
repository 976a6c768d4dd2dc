"""Standby, protection and zone rebalancing."""

from __future__ import annotations

from autoscaler.clock import VirtualClock
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings

from .conftest import Emu

ZONES = {"vsw-a": "zone-a", "vsw-b": "zone-b"}


def test_standby_keeps_capacity_but_zero_weight_and_exit_restores_it(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 2)
    first = emu.ids(gid)[0]
    emu.call("EnterStandby", {"ScalingGroupId": gid, "InstanceId.1": first})
    (inst,) = emu.instances(gid, **{"InstanceId.1": first})
    assert (inst["LifecycleState"], inst["LoadBalancerWeight"]) == ("Standby", 0)
    info = emu.info(gid)
    assert (info["TotalCapacity"], info["StandbyCapacity"]) == (2, 1)
    emu.call("ExitStandby", {"ScalingGroupId": gid, "InstanceId.1": first})
    (inst,) = emu.instances(gid, **{"InstanceId.1": first})
    assert (inst["LifecycleState"], inst["LoadBalancerWeight"]) == ("InService", 50)


def test_standby_needs_instances_of_the_group_in_a_settled_state(emu: Emu) -> None:
    gid, _ = emu.group()
    other, _ = emu.group()
    emu.scale_to(other, 1)
    stranger = emu.ids(other)[0]
    error = emu.fails("InvalidInstanceId.NotFound", "EnterStandby", {"ScalingGroupId": gid, "InstanceId.1": stranger})
    assert error.message == f'Instance "{stranger}" does not exist.'
    emu.fails("InvalidScalingGroupId.NotFound", "EnterStandby", {"ScalingGroupId": "asg-x", "InstanceId.1": "i"})
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    pending = emu.ids(gid)[0]
    emu.fails("IncorrectInstanceStatus", "EnterStandby", {"ScalingGroupId": gid, "InstanceId.1": pending})
    emu.fails("InvalidParameter", "ExitStandby", {"ScalingGroupId": gid, "InstanceId.21": pending})


def test_protection_needs_an_active_group_and_switches_both_ways(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 1)
    (iid,) = emu.ids(gid)
    params = {"ScalingGroupId": gid, "InstanceId.1": iid}
    emu.call("SetInstancesProtection", params, ProtectedFromScaleIn="true")
    assert emu.instances(gid)[0]["LifecycleState"] == "Protected"
    assert emu.info(gid)["ProtectedCapacity"] == 1
    emu.call("SetInstancesProtection", params, ProtectedFromScaleIn="False")
    assert emu.instances(gid)[0]["LifecycleState"] == "InService"
    emu.call("DisableScalingGroup", ScalingGroupId=gid)
    emu.fails("IncorrectScalingGroupStatus", "SetInstancesProtection", params, ProtectedFromScaleIn="true")
    emu.fails("MissingParameter", "SetInstancesProtection", params)


def _balanced_emu(clock: VirtualClock, *, max_group_size: int = 100) -> Emu:
    settings = EmulatorSettings(vswitch_zones=ZONES, max_group_size=max_group_size)
    return Emu(EssService(clock, settings=settings), clock)


def _skewed_group(emu: Emu, *, max_size: int = 10, count: int = 6) -> str:
    """A BALANCE group whose instances all sit in zone-a (zone-b was out of stock)."""
    gid, _ = emu.group(max_size=max_size, MultiAZPolicy="BALANCE", extra=emu.n("VSwitchIds", ["vsw-a"]))
    emu.scale_to(gid, count)
    emu.call("ModifyScalingGroup", {"ScalingGroupId": gid, **emu.n("VSwitchIds", ["vsw-a", "vsw-b"])})
    return gid


def test_rebalance_launches_first_then_removes_from_the_full_zone(clock: VirtualClock) -> None:
    emu = _balanced_emu(clock)
    gid = _skewed_group(emu)
    aid = emu.call("RebalanceInstances", ScalingGroupId=gid)["ScalingActivityId"]
    info = emu.info(gid)
    assert (info["TotalCapacity"], info["PendingCapacity"]) == (9, 3)
    emu.clock.advance(60)
    assert emu.info(gid)["RemovingCapacity"] == 3
    emu.settle()
    zones = [i["ZoneId"] for i in emu.instances(gid)]
    assert (zones.count("zone-a"), zones.count("zone-b")) == (3, 3)
    assert emu.activity(aid)["StatusCode"] == "Successful"


def test_rebalance_may_exceed_max_size_by_ten_percent_at_least_one(clock: VirtualClock) -> None:
    emu = _balanced_emu(clock)
    gid = _skewed_group(emu, max_size=6, count=6)
    emu.call("RebalanceInstances", ScalingGroupId=gid)
    assert emu.info(gid)["TotalCapacity"] == 7  # MaxSize 6 + max(1, 10 %)
    emu.settle()
    zones = [i["ZoneId"] for i in emu.instances(gid)]
    assert (zones.count("zone-a"), zones.count("zone-b")) == (5, 1)
    emu.call("RebalanceInstances", ScalingGroupId=gid)  # still imbalanced: another round is allowed


def test_rebalance_replaces_at_most_twenty_instances(clock: VirtualClock) -> None:
    emu = _balanced_emu(clock, max_group_size=1000)
    gid = _skewed_group(emu, max_size=200, count=60)
    emu.call("RebalanceInstances", ScalingGroupId=gid)
    assert emu.info(gid)["PendingCapacity"] == 20


def test_rebalance_is_denied_unless_balance_and_severely_imbalanced(clock: VirtualClock) -> None:
    emu = _balanced_emu(clock)
    gid, _ = emu.group(extra=emu.n("VSwitchIds", ["vsw-a", "vsw-b"]))
    error = emu.fails("OperationDenied", "RebalanceInstances", ScalingGroupId=gid)
    assert error.message == "This operation is denied because the specified scaling group does not support this action."
    balanced, _ = emu.group(MultiAZPolicy="BALANCE", extra=emu.n("VSwitchIds", ["vsw-a", "vsw-b"]))
    emu.scale_to(balanced, 3)
    emu.fails("OperationDenied", "RebalanceInstances", ScalingGroupId=balanced)
    inactive = _skewed_group(emu)
    emu.call("DisableScalingGroup", ScalingGroupId=inactive)
    emu.fails("IncorrectScalingGroupStatus", "RebalanceInstances", ScalingGroupId=inactive)
    emu.fails("InvalidScalingGroupId.NotFound", "RebalanceInstances", ScalingGroupId="asg-x")


def test_rebalance_needs_an_idle_group(clock: VirtualClock) -> None:
    emu = _balanced_emu(clock)
    gid = _skewed_group(emu)
    emu.call("RebalanceInstances", ScalingGroupId=gid)
    emu.fails("ScalingActivityInProgress", "RebalanceInstances", ScalingGroupId=gid)


def test_exit_standby_of_a_stranger_names_the_instance(emu: Emu) -> None:
    gid, _ = emu.group()
    error = emu.fails("InvalidInstanceId.NotFound", "ExitStandby", {"ScalingGroupId": gid, "InstanceId.1": "i-x"})
    assert error.message == 'Instance "i-x" does not exist.'
    assert error.http_status == 404
