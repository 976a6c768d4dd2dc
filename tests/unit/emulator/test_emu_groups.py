"""Scaling groups: create, modify, enable, disable, delete, describe."""

from __future__ import annotations

from autoscaler.emulator.settings import EmulatorSettings

from .conftest import Emu


def test_a_new_group_is_inactive_with_the_documented_defaults(emu: Emu) -> None:
    gid = emu.call("CreateScalingGroup", emu.region, MinSize=1, MaxSize=3)["ScalingGroupId"]
    info = emu.info(gid)
    assert info["LifecycleState"] == "Inactive"
    assert info["ScalingGroupName"] == gid
    assert info["DefaultCooldown"] == 300
    assert info["RemovalPolicies"] == {"RemovalPolicy": ["OldestScalingConfiguration", "OldestInstance"]}
    assert info["MultiAZPolicy"] == "PRIORITY"
    assert info["TotalCapacity"] == 0
    assert info["CreationTime"] == "2024-03-01T12:00Z"


def test_create_records_every_documented_attribute(emu: Emu) -> None:
    gid = emu.call("CreateScalingGroup", emu.region, {
        "MinSize": 0, "MaxSize": 4, "ScalingGroupName": "web-1", "DefaultCooldown": 60,
        "RemovalPolicy.1": "NewestInstance", "LoadBalancerIds": '["lb-1","lb-2"]', "DBInstanceIds": '["rm-1"]',
        "VSwitchIds.1": "vsw-a", "VSwitchIds.2": "vsw-b", "VSwitchId": "vsw-ignored", "ScalingPolicy": "recycle",
        "MultiAZPolicy": "BALANCE", "VServerGroup.1.LoadBalancerId": "lb-1",
        "VServerGroup.1.VServerGroupAttribute.1.VServerGroupId": "rsp-1",
        "VServerGroup.1.VServerGroupAttribute.1.Port": 80,
    })["ScalingGroupId"]
    info = emu.info(gid)
    assert info["ScalingGroupName"] == "web-1"
    assert info["DefaultCooldown"] == 60
    assert info["RemovalPolicies"]["RemovalPolicy"] == ["NewestInstance"]
    assert info["LoadBalancerIds"]["LoadBalancerId"] == ["lb-1", "lb-2"]
    assert info["DBInstanceIds"]["DBInstanceId"] == ["rm-1"]
    assert info["VSwitchId"] == "vsw-a"
    assert info["VSwitchIds"]["VSwitchId"] == ["vsw-a", "vsw-b"]
    assert info["ScalingPolicy"] == "recycle"
    assert info["MultiAZPolicy"] == "BALANCE"
    assert emu.service.state.groups[gid].vserver_groups == [["lb-1", "rsp-1", 80, 50]]


def test_min_size_above_max_size_is_a_conflict(emu: Emu) -> None:
    error = emu.fails("InvalidParameter.Conflict", "CreateScalingGroup", emu.region, MinSize=3, MaxSize=2)
    assert error.message == "The value of parameter MinSize and parameter MaxSize are conflict."


def test_sizes_outside_0_to_100_are_invalid(emu: Emu) -> None:
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=101)
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=-1, MaxSize=1)


def test_cooldown_outside_its_range_is_invalid(emu: Emu) -> None:
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, DefaultCooldown=86401)


def test_more_than_two_or_unknown_removal_policies_are_invalid(emu: Emu) -> None:
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, {"MinSize": 0, "MaxSize": 1,
              **emu.n("RemovalPolicy", ["OldestInstance", "NewestInstance", "OldestScalingConfiguration"])})
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region,
              {"MinSize": 0, "MaxSize": 1, "RemovalPolicy.1": "RandomInstance"})


def test_an_unknown_scaling_policy_gets_the_documented_message(emu: Emu) -> None:
    error = emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1,
                      ScalingPolicy="shred")
    assert error.message == 'The specified value of parameter "ScalingPolicy" is not valid.'


def test_load_balancer_lists_are_json_arrays_within_their_limits(emu: Emu) -> None:
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, LoadBalancerIds="lb-1")
    six = '["a","b","c","d","e","f"]'
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, LoadBalancerIds=six)
    nine = '["1","2","3","4","5","6","7","8","9"]'
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, DBInstanceIds=nine)


def test_a_vserver_group_port_out_of_range_is_invalid(emu: Emu) -> None:
    error = emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, {
        "MinSize": 0, "MaxSize": 1, "VServerGroup.1.LoadBalancerId": "lb-1",
        "VServerGroup.1.VServerGroupAttribute.1.VServerGroupId": "rsp-1",
        "VServerGroup.1.VServerGroupAttribute.1.Port": 70000})
    assert "VServerGroup.1.VServerGroupAttribute.1.Port" in error.message


def test_names_follow_the_documented_rule_and_are_unique(emu: Emu) -> None:
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, ScalingGroupName="-bad")
    emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, ScalingGroupName="x")
    emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, ScalingGroupName="web")
    error = emu.fails("InvalidScalingGroupName.Duplicate", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1,
                      ScalingGroupName="web")
    assert error.message == "The specified value of parameter ScalingGroupName is duplicated."


def test_the_twenty_first_group_exceeds_the_quota(emu: Emu) -> None:
    for _ in range(20):
        emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=1)
    error = emu.fails("QuotaExceeded.ScalingGroup", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1)
    assert error.message == "Scaling group quota exceeded."


def test_a_raised_group_quota_is_honoured(clock: object) -> None:
    from autoscaler.clock import VirtualClock
    from autoscaler.emulator.service import EssService

    assert isinstance(clock, VirtualClock)
    service = EssService(clock, settings=EmulatorSettings(max_scaling_groups=25))
    for _ in range(25):
        service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1"})
    assert len(service.state.groups) == 25


def test_launch_templates_are_rejected_loudly(emu: Emu) -> None:
    emu.fails("LaunchTemplateSet.NotFound", "CreateScalingGroup", emu.region, MinSize=0, MaxSize=1,
              LaunchTemplateId="lt-1")


def test_enable_needs_an_active_configuration(emu: Emu) -> None:
    gid = emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=1)["ScalingGroupId"]
    error = emu.fails("MissingActiveScalingConfiguration", "EnableScalingGroup", ScalingGroupId=gid)
    assert error.message == "An active scaling configuration for the specified scaling group is not supplied."
    emu.fails("InvalidScalingConfigurationId.NotFound", "EnableScalingGroup", ScalingGroupId=gid,
              ActiveScalingConfigurationId="asc-nope")


def test_enable_twice_is_an_incorrect_group_status(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.fails("IncorrectScalingGroupStatus", "EnableScalingGroup", ScalingGroupId=gid)


def test_enable_launches_up_to_min_size(emu: Emu) -> None:
    gid, cid = emu.group(min_size=3, enable=False)
    emu.call("EnableScalingGroup", ScalingGroupId=gid, ActiveScalingConfigurationId=cid)
    info = emu.info(gid)
    assert info["LifecycleState"] == "Active"
    assert info["ActiveScalingConfigurationId"] == cid
    assert (info["TotalCapacity"], info["PendingCapacity"]) == (3, 3)
    emu.settle()
    assert emu.info(gid)["ActiveCapacity"] == 3
    config = emu.call("DescribeScalingConfigurations", emu.region, ScalingGroupId=gid)
    assert config["ScalingConfigurations"]["ScalingConfiguration"][0]["LifecycleState"] == "Active"


def test_enable_attaches_instances_then_fills_up_to_min_size(emu: Emu) -> None:
    gid, cid = emu.group(min_size=3, enable=False)
    i1 = emu.ecs()
    emu.call("EnableScalingGroup", {"ScalingGroupId": gid, "ActiveScalingConfigurationId": cid, "InstanceId.1": i1})
    assert emu.ids(gid) == [i1]
    emu.settle()
    instances = emu.instances(gid)
    assert len(instances) == 3
    assert instances[0]["CreationType"] == "Attached"
    assert {i["CreationType"] for i in instances[1:]} == {"AutoCreated"}


def test_enable_checks_the_instances_it_attaches(emu: Emu) -> None:
    gid, cid = emu.group(max_size=1, enable=False)
    params = {"ScalingGroupId": gid, "ActiveScalingConfigurationId": cid}
    emu.fails("InvalidInstanceId.NotFound", "EnableScalingGroup", params, **{"InstanceId.1": "i-ghost"})
    other = emu.ecs(instance_type="ecs.other")
    emu.fails("InvalidInstanceId.InstanceTypeMismatch", "EnableScalingGroup", params, **{"InstanceId.1": other})
    two = emu.n("InstanceId", [emu.ecs(), emu.ecs()])
    error = emu.fails("IncorrectCapacity.MaxSize", "EnableScalingGroup", params, **two)
    assert error.message == "To attach the instances, the total capacity will be greater than the max size."
    assert emu.info(gid)["LifecycleState"] == "Inactive"


def test_modify_changes_attributes_and_enforces_the_new_bounds(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2, max_size=4)
    emu.call("ModifyScalingGroup", {"ScalingGroupId": gid, "ScalingGroupName": "renamed", "MaxSize": 1,
                                    "MinSize": 1, "DefaultCooldown": 10, "RemovalPolicy.1": "NewestInstance"})
    info = emu.info(gid)
    assert (info["ScalingGroupName"], info["MinSize"], info["MaxSize"], info["DefaultCooldown"]) == \
        ("renamed", 1, 1, 10)
    assert info["RemovingCapacity"] == 1
    emu.settle()
    assert emu.info(gid)["TotalCapacity"] == 1


def test_modify_rejects_a_conflict_with_the_current_sizes(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2, max_size=4)
    emu.fails("InvalidParameter.Conflict", "ModifyScalingGroup", ScalingGroupId=gid, MaxSize=1)
    emu.fails("InvalidScalingGroupId.NotFound", "ModifyScalingGroup", ScalingGroupId="asg-nope")


def test_modify_switches_the_active_configuration_only_to_the_same_instance_type(emu: Emu) -> None:
    gid, _ = emu.group()
    same = emu.call("CreateScalingConfiguration", ScalingGroupId=gid, ImageId="img-2", InstanceType="ecs.g6.large",
                    SecurityGroupId="sg-1")["ScalingConfigurationId"]
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, ActiveScalingConfigurationId=same)
    assert emu.info(gid)["ActiveScalingConfigurationId"] == same
    emu.fails("InvalidScalingConfigurationId.NotFound", "ModifyScalingGroup", ScalingGroupId=gid,
              ActiveScalingConfigurationId="asc-nope")


def test_modify_renaming_to_a_taken_name_is_a_duplicate(emu: Emu) -> None:
    emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, ScalingGroupName="taken")
    gid = emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=1)["ScalingGroupId"]
    emu.fails("InvalidScalingGroupName.Duplicate", "ModifyScalingGroup", ScalingGroupId=gid,
              ScalingGroupName="taken")


def test_disable_makes_the_group_inactive_and_rules_are_then_refused(emu: Emu) -> None:
    gid, _ = emu.group()
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1)
    emu.call("DisableScalingGroup", ScalingGroupId=gid)
    assert emu.info(gid)["LifecycleState"] == "Inactive"
    emu.call("DisableScalingGroup", ScalingGroupId=gid)  # a no-op, no error documented
    emu.fails("IncorrectScalingGroupStatus", "ExecuteScalingRule", ScalingRuleAri=ari)
    emu.fails("InvalidScalingGroupId.NotFound", "DisableScalingGroup", ScalingGroupId="asg-nope")


def test_a_group_with_instances_cannot_be_deleted_without_force(emu: Emu) -> None:
    gid, _ = emu.group(min_size=1)
    error = emu.fails("InstanceInUse", "DeleteScalingGroup", ScalingGroupId=gid)
    assert "while there is an instance associated with it" in error.message


def test_a_busy_group_cannot_be_deleted_without_force(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    emu.fails("ScalingActivityInProgress", "DeleteScalingGroup", ScalingGroupId=gid)


def test_force_delete_releases_created_instances_and_frees_attached_ones(emu: Emu) -> None:
    gid, _ = emu.group(min_size=1)
    attached = emu.ecs()
    emu.call("AttachInstances", {"ScalingGroupId": gid, "InstanceId.1": attached})
    emu.settle()
    created = [i for i in emu.ids(gid) if i != attached]
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1)
    emu.call("DeleteScalingGroup", ScalingGroupId=gid, ForceDelete="true")
    state = emu.service.state
    assert gid not in state.groups
    assert state.ecs_instances[attached].scaling_group_id is None
    assert all(i not in state.ecs_instances for i in created)
    assert state.instances == {}
    assert state.rules == {} and state.configurations == {} and state.activities == {}
    emu.fails("InvalidScalingRuleAri.NotFound", "ExecuteScalingRule", ScalingRuleAri=ari)
    assert emu.call("DescribeScalingGroups", emu.region)["TotalCount"] == 0


def test_an_empty_idle_group_is_deleted(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.call("DeleteScalingGroup", ScalingGroupId=gid)
    emu.fails("InvalidScalingGroupId.NotFound", "DeleteScalingGroup", ScalingGroupId=gid)


def test_describe_filters_by_id_and_name_and_pages(emu: Emu) -> None:
    ids = [emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=1, ScalingGroupName=f"g{i}")
           ["ScalingGroupId"] for i in range(12)]
    first = emu.call("DescribeScalingGroups", emu.region)
    assert (first["TotalCount"], first["PageNumber"], first["PageSize"]) == (12, 1, 10)
    assert len(first["ScalingGroups"]["ScalingGroup"]) == 10
    second = emu.call("DescribeScalingGroups", emu.region, PageNumber=2)
    assert [g["ScalingGroupId"] for g in second["ScalingGroups"]["ScalingGroup"]] == ids[10:]
    by_id = emu.call("DescribeScalingGroups", emu.region, {"ScalingGroupId.1": ids[3], "ScalingGroupId.2": "asg-x"})
    assert by_id["TotalCount"] == 1
    by_name = emu.call("DescribeScalingGroups", emu.region, {"ScalingGroupName.1": "g5"})
    assert by_name["ScalingGroups"]["ScalingGroup"][0]["ScalingGroupId"] == ids[5]
    emu.fails("InvalidParameter", "DescribeScalingGroups", emu.region, PageSize=51)
    emu.fails("InvalidParameter", "DescribeScalingGroups", emu.region, PageNumber=0)
    emu.fails("InvalidParameter", "DescribeScalingGroups", emu.region, **{"ScalingGroupId.21": "x"})
