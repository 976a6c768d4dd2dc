"""Scaling configurations: create, modify, delete, describe."""

from __future__ import annotations

import base64

from .conftest import Emu

BASE = {"ImageId": "img-1", "InstanceType": "ecs.g6.large", "SecurityGroupId": "sg-1"}


def _group(emu: Emu) -> str:
    return str(emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=5)["ScalingGroupId"])


def test_a_configuration_is_created_inactive_and_described(emu: Emu) -> None:
    gid = _group(emu)
    cid = emu.call("CreateScalingConfiguration", BASE, {"ScalingGroupId": gid, "ScalingConfigurationName": "v1",
                   "InternetChargeType": "PayByTraffic", "InternetMaxBandwidthOut": 10,
                   "SystemDisk.Category": "cloud_ssd", "DataDisk.1.Size": 100, "DataDisk.1.Category": "cloud_ssd",
                   "LoadBalancerWeight": 0})["ScalingConfigurationId"]
    body = emu.call("DescribeScalingConfigurations", emu.region, ScalingGroupId=gid)
    (item,) = body["ScalingConfigurations"]["ScalingConfiguration"]
    assert item["ScalingConfigurationId"] == cid
    assert item["ScalingConfigurationName"] == "v1"
    assert item["LifecycleState"] == "Inactive"
    assert item["InstanceType"] == "ecs.g6.large"
    assert item["InternetChargeType"] == "PayByTraffic"
    assert item["InternetMaxBandwidthOut"] == 10
    assert item["SystemDiskCategory"] == "cloud_ssd"
    assert item["DataDisks"] == {"DataDisk": [{"Size": 100, "Category": "cloud_ssd"}]}
    assert item["LoadBalancerWeight"] == 0
    assert item["CreationTime"] == "2024-03-01T12:00Z"


def test_instance_types_take_precedence_over_instance_type(emu: Emu) -> None:
    gid = _group(emu)
    emu.call("CreateScalingConfiguration", BASE, emu.n("InstanceTypes", ["ecs.a", "ecs.b"]), ScalingGroupId=gid)
    (item,) = emu.call("DescribeScalingConfigurations", emu.region)["ScalingConfigurations"]["ScalingConfiguration"]
    assert item["InstanceType"] == "ecs.a"
    assert item["InstanceTypes"] == {"InstanceType": ["ecs.a", "ecs.b"]}
    emu.fails("InvalidParameter", "CreateScalingConfiguration", BASE, ScalingGroupId=gid, **{"InstanceTypes.11": "x"})


def test_an_image_is_required(emu: Emu) -> None:
    gid = _group(emu)
    emu.fails("MissingParameter", "CreateScalingConfiguration", ScalingGroupId=gid, InstanceType="t",
              SecurityGroupId="s")


def test_parameter_ranges_and_enumerations_are_checked(emu: Emu) -> None:
    gid = _group(emu)
    for bad in ({"InternetMaxBandwidthIn": 0}, {"InternetMaxBandwidthOut": 101}, {"SystemDisk.Size": 39},
                {"LoadBalancerWeight": 101}, {"SystemDisk.Category": "floppy"}, {"InternetChargeType": "Free"},
                {"DataDisk.1.Category": "cloud", "DataDisk.1.Size": 4}, {"SpotStrategy": "Always"},
                {"IoOptimized": "none"}, {"Tags": "not json"}):
        emu.fails("InvalidParameter", "CreateScalingConfiguration", BASE, bad, ScalingGroupId=gid)


def test_user_data_must_be_base64_and_at_most_16_kb(emu: Emu) -> None:
    gid = _group(emu)
    emu.fails("InvalidUserData.Base64FormatInvalid", "CreateScalingConfiguration", BASE, ScalingGroupId=gid,
              UserData="not base64!")
    big = base64.b64encode(b"x" * (16 * 1024 + 1)).decode()
    emu.fails("InvalidUserData.SizeExceeded", "CreateScalingConfiguration", BASE, ScalingGroupId=gid, UserData=big)
    ok = base64.b64encode(b"#!/bin/sh\n").decode()
    emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid, UserData=ok)


def test_at_most_five_non_empty_tags(emu: Emu) -> None:
    gid = _group(emu)
    six = '{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6"}'
    emu.fails("InvalidTags.ListSize", "CreateScalingConfiguration", BASE, ScalingGroupId=gid, Tags=six)
    emu.fails("InvalidTags.KeyValue", "CreateScalingConfiguration", BASE, ScalingGroupId=gid, Tags='{"":"x"}')
    emu.fails("InvalidParameter", "CreateScalingConfiguration", BASE, ScalingGroupId=gid, Tags='{"aliyun-x":"1"}')
    emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid, Tags='{"team":"web"}')


def test_names_are_unique_within_the_group(emu: Emu) -> None:
    gid = _group(emu)
    emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid, ScalingConfigurationName="v1")
    error = emu.fails("InvalidScalingConfigurationName.Duplicate", "CreateScalingConfiguration", BASE,
                      ScalingGroupId=gid, ScalingConfigurationName="v1")
    assert error.message == "The specified value of parameter ScalingConfigurationName is duplicated."
    other = _group(emu)
    emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=other, ScalingConfigurationName="v1")


def test_the_eleventh_configuration_exceeds_the_quota(emu: Emu) -> None:
    gid = _group(emu)
    for _ in range(10):
        emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid)
    emu.fails("QuotaExceeded.ScalingConfiguration", "CreateScalingConfiguration", BASE, ScalingGroupId=gid)


def test_a_new_configuration_must_match_the_active_instance_type(emu: Emu) -> None:
    gid, _ = emu.group()
    error = emu.fails("InstanceType.Mismatch", "CreateScalingConfiguration", BASE, ScalingGroupId=gid,
                      InstanceType="ecs.other")
    assert "different instance type" in error.message


def test_unknown_group_is_not_found(emu: Emu) -> None:
    emu.fails("InvalidScalingGroupId.NotFound", "CreateScalingConfiguration", BASE, ScalingGroupId="asg-x")


def test_modify_changes_name_image_and_weight(emu: Emu) -> None:
    gid = _group(emu)
    cid = emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid)["ScalingConfigurationId"]
    emu.call("ModifyScalingConfiguration", ScalingConfigurationId=cid, ScalingConfigurationName="v2",
             ImageId="img-2", LoadBalancerWeight=30, InternetMaxBandwidthOut=5)
    (item,) = emu.call("DescribeScalingConfigurations", emu.region)["ScalingConfigurations"]["ScalingConfiguration"]
    assert (item["ScalingConfigurationName"], item["ImageId"], item["LoadBalancerWeight"]) == ("v2", "img-2", 30)
    assert item["InternetMaxBandwidthOut"] == 5
    emu.fails("InvalidScalingConfigurationId.NotFound", "ModifyScalingConfiguration", ScalingConfigurationId="asc-x")


def test_modify_to_a_taken_name_is_a_duplicate(emu: Emu) -> None:
    gid = _group(emu)
    emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid, ScalingConfigurationName="v1")
    cid = emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid)["ScalingConfigurationId"]
    error = emu.fails("InvalidScalingConfigurationName.Duplicate", "ModifyScalingConfiguration",
                      ScalingConfigurationId=cid, ScalingConfigurationName="v1")
    assert error.message == "The specified value of parameter is not valid."


def test_the_active_configuration_cannot_be_deleted(emu: Emu) -> None:
    _, cid = emu.group()
    emu.fails("IncorrectScalingConfigurationLifecycleState", "DeleteScalingConfiguration",
              ScalingConfigurationId=cid)


def test_a_configuration_with_instances_cannot_be_deleted(emu: Emu) -> None:
    gid, cid = emu.group(min_size=1)
    newer = emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid)["ScalingConfigurationId"]
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, ActiveScalingConfigurationId=newer)
    emu.fails("InstanceInUse", "DeleteScalingConfiguration", ScalingConfigurationId=cid)


def test_an_unused_inactive_configuration_is_deleted(emu: Emu) -> None:
    gid = _group(emu)
    cid = emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid)["ScalingConfigurationId"]
    emu.call("DeleteScalingConfiguration", ScalingConfigurationId=cid)
    assert emu.call("DescribeScalingConfigurations", emu.region)["TotalCount"] == 0
    emu.fails("InvalidScalingConfigurationId.NotFound", "DeleteScalingConfiguration", ScalingConfigurationId=cid)


def test_describe_filters_by_ids_and_names(emu: Emu) -> None:
    gid = _group(emu)
    a = emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid, ScalingConfigurationName="aa")
    emu.call("CreateScalingConfiguration", BASE, ScalingGroupId=gid, ScalingConfigurationName="bb")
    by_id = emu.call("DescribeScalingConfigurations", emu.region,
                     {"ScalingConfigurationId.1": a["ScalingConfigurationId"]})
    assert by_id["TotalCount"] == 1
    by_name = emu.call("DescribeScalingConfigurations", emu.region, {"ScalingConfigurationName.1": "bb",
                                                                      "ScalingConfigurationName.2": "zz"})
    assert by_name["ScalingConfigurations"]["ScalingConfiguration"][0]["ScalingConfigurationName"] == "bb"
