"""AttachInstances, RemoveInstances, DetachInstances."""

from __future__ import annotations

from .conftest import Emu


def test_attach_adds_running_instances_with_their_weights(emu: Emu) -> None:
    gid, _ = emu.group()
    a, b = emu.ecs(), emu.ecs()
    aid = emu.call("AttachInstances", {"ScalingGroupId": gid, "InstanceId.1": a, "InstanceId.2": b,
                                       "LoadBalancerWeight.2": 80})["ScalingActivityId"]
    assert emu.info(gid)["PendingCapacity"] == 2
    emu.settle()
    instances = {i["InstanceId"]: i for i in emu.instances(gid)}
    assert instances[a]["LoadBalancerWeight"] == 50 and instances[b]["LoadBalancerWeight"] == 80
    assert {i["CreationType"] for i in instances.values()} == {"Attached"}
    assert "ScalingConfigurationId" not in instances[a]
    assert emu.activity(aid)["StatusCode"] == "Successful"
    assert emu.service.state.ecs_instances[a].scaling_group_id == gid


def test_attach_checks_each_documented_precondition(emu: Emu) -> None:
    gid, _ = emu.group(max_size=2)
    base = {"ScalingGroupId": gid}
    emu.fails("InvalidInstanceId.NotFound", "AttachInstances", base, **{"InstanceId.1": "i-ghost"})
    error = emu.fails("InvalidInstanceId.RegionMismatch", "AttachInstances", base,
                      **{"InstanceId.1": emu.ecs(region="cn-beijing")})
    assert "not in the same Region" in error.message
    emu.fails("InvalidInstanceId.InstanceTypeMismatch", "AttachInstances", base,
              **{"InstanceId.1": emu.ecs(instance_type="ecs.tiny")})
    stopped = emu.ecs(status="Stopped")
    error = emu.fails("IncorrectInstanceStatus", "AttachInstances", base, **{"InstanceId.1": stopped})
    assert error.message == f'The current status of instance "{stopped}" does not support this action.'
    emu.fails("InvalidInstanceId.NetworkTypeMismatch", "AttachInstances", base,
              **{"InstanceId.1": emu.ecs(vswitch_id="vsw-1")})
    other, _ = emu.group()
    taken = emu.ecs()
    emu.call("AttachInstances", {"ScalingGroupId": other, "InstanceId.1": taken})
    emu.fails("InvalidInstanceId.InUse", "AttachInstances", base, **{"InstanceId.1": taken})
    three = emu.n("InstanceId", [emu.ecs(), emu.ecs(), emu.ecs()])
    error = emu.fails("IncorrectCapacity.MaxSize", "AttachInstances", base, three)
    assert error.message == "To attach the instances, the total capacity will be greater than the MaxSize."
    emu.fails("InvalidParameter", "AttachInstances", base, **{"InstanceId.1": "i-1", "LoadBalancerWeight.1": 101})
    emu.fails("InvalidParameter", "AttachInstances", base, **{"InstanceId.1": "i-1", "LoadBalancerWeight.2": 5})
    emu.fails("InvalidParameter", "AttachInstances", base, **{"InstanceId.21": "i-1"})


def test_attach_needs_an_active_idle_group(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    emu.fails("ScalingActivityInProgress", "AttachInstances", {"ScalingGroupId": gid, "InstanceId.1": emu.ecs()})
    inactive, _ = emu.group(enable=False)
    emu.fails("IncorrectScalingGroupStatus", "AttachInstances", {"ScalingGroupId": inactive, "InstanceId.1": emu.ecs()})
    emu.fails("InvalidScalingGroupId.NotFound", "AttachInstances", {"ScalingGroupId": "asg-x", "InstanceId.1": "i"})


def test_remove_releases_created_instances_and_keeps_attached_ones_running(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 1)
    (created,) = emu.ids(gid)
    attached = emu.ecs()
    emu.call("AttachInstances", {"ScalingGroupId": gid, "InstanceId.1": attached})
    emu.settle()
    aid = emu.call("RemoveInstances", {"ScalingGroupId": gid, **emu.n("InstanceId", [created, attached])})[
        "ScalingActivityId"]
    assert emu.info(gid)["RemovingCapacity"] == 2
    emu.settle()
    ecs = emu.service.state.ecs_instances
    assert created not in ecs
    assert ecs[attached].status == "Running" and ecs[attached].scaling_group_id is None
    assert emu.activity(aid)["StatusCode"] == "Successful"


def test_remove_checks_min_size_membership_and_state(emu: Emu) -> None:
    gid, _ = emu.group(min_size=1, ScalingPolicy="release")
    (only,) = emu.ids(gid)
    error = emu.fails("IncorrectCapacity.MinSize", "RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": only})
    assert error.message == "To remove the instances, the total capacity will be lesser than the MinSize."
    error = emu.fails("InvalidParameter", "RemoveInstances",
                      {"ScalingGroupId": gid, "InstanceId.1": only, "RemovePolicy": "recycle"})
    assert error.message == "The specified group does not support the specified RemovePolicy."
    emu.fails("InvalidInstanceId.NotFound", "RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": "i-x"})
    emu.fails("InvalidParameter", "RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": only,
                                                      "RemovePolicy": "shred"})
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, MinSize=0)
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    emu.fails("ScalingActivityInProgress", "RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": only})


def test_remove_may_take_standby_and_protected_instances(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 2)
    a, b = emu.ids(gid)
    emu.call("EnterStandby", {"ScalingGroupId": gid, "InstanceId.1": a})
    emu.call("SetInstancesProtection", {"ScalingGroupId": gid, "InstanceId.1": b, "ProtectedFromScaleIn": "true"})
    emu.call("RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": a, "InstanceId.2": b})
    emu.settle()
    assert emu.ids(gid) == []


def test_remove_refuses_instances_still_launching(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    (pending,) = emu.ids(gid)
    emu.service.state.groups[gid].current_activity_id = None  # as if the activity were stuck elsewhere
    emu.fails("IncorrectInstanceStatus", "RemoveInstances", {"ScalingGroupId": gid, "InstanceId.1": pending})


def test_detach_leaves_even_created_instances_running(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 2)
    first, second = emu.ids(gid)
    aid = emu.call("DetachInstances", {"ScalingGroupId": gid, "InstanceId.1": first})["ScalingActivityId"]
    emu.settle()
    ecs = emu.service.state.ecs_instances[first]
    assert (ecs.status, ecs.scaling_group_id) == ("Running", None)
    assert emu.ids(gid) == [second]
    assert emu.activity(aid)["Description"] == 'Remove "1" ECS instance'
    other, _ = emu.group()
    emu.call("AttachInstances", {"ScalingGroupId": other, "InstanceId.1": first})  # free to join another group


def test_detach_checks_min_size_and_group_state(emu: Emu) -> None:
    gid, _ = emu.group(min_size=1)
    (only,) = emu.ids(gid)
    emu.fails("IncorrectCapacity.MinSize", "DetachInstances", {"ScalingGroupId": gid, "InstanceId.1": only})
    emu.call("DisableScalingGroup", ScalingGroupId=gid)
    emu.fails("IncorrectScalingGroupStatus", "DetachInstances", {"ScalingGroupId": gid, "InstanceId.1": only})
    emu.fails("InvalidScalingGroupId.NotFound", "DetachInstances", {"ScalingGroupId": "asg-x", "InstanceId.1": only})
