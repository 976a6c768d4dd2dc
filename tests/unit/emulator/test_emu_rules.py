"""Scaling rules: create, modify, delete, describe."""

from __future__ import annotations

from .conftest import Emu


def _group(emu: Emu) -> str:
    return str(emu.call("CreateScalingGroup", emu.region, MinSize=0, MaxSize=5)["ScalingGroupId"])


def test_a_rule_gets_the_documented_ari(emu: Emu) -> None:
    gid = _group(emu)
    body = emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="QuantityChangeInCapacity",
                    AdjustmentValue=2)
    assert body["ScalingRuleAri"] == f"ari:acs:ess:cn-hangzhou:1344371:scalingrule/{body['ScalingRuleId']}"
    rules = emu.call("DescribeScalingRules", emu.region, ScalingGroupId=gid)["ScalingRules"]["ScalingRule"]
    assert rules == [{"ScalingRuleId": body["ScalingRuleId"], "ScalingGroupId": gid,
                      "ScalingRuleName": body["ScalingRuleId"], "AdjustmentType": "QuantityChangeInCapacity",
                      "AdjustmentValue": 2, "ScalingRuleAri": body["ScalingRuleAri"]}]


def test_adjustment_values_follow_the_documented_ranges(emu: Emu) -> None:
    gid = _group(emu)
    for kind, bad in (("QuantityChangeInCapacity", 501), ("PercentChangeInCapacity", -101),
                      ("TotalCapacity", -1), ("TotalCapacity", 1001)):
        error = emu.fails("InvalidParameter", "CreateScalingRule", ScalingGroupId=gid, AdjustmentType=kind,
                          AdjustmentValue=bad)
        assert "AdjustmentValue" in error.message
    emu.fails("InvalidParameter", "CreateScalingRule", ScalingGroupId=gid, AdjustmentType="Double",
              AdjustmentValue=1)
    emu.fails("InvalidParameter", "CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity",
              AdjustmentValue=1, Cooldown=86401)


def test_min_adjustment_magnitude_is_accepted_only_with_percent(emu: Emu) -> None:
    gid = _group(emu)
    body = emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="PercentChangeInCapacity",
                    AdjustmentValue=10, MinAdjustmentMagnitude=2, Cooldown=60)
    (rule,) = emu.call("DescribeScalingRules", emu.region, ScalingGroupId=gid)["ScalingRules"]["ScalingRule"]
    assert rule["MinAdjustmentMagnitude"] == 2 and rule["Cooldown"] == 60
    assert body["ScalingRuleId"] == rule["ScalingRuleId"]
    error = emu.fails("InvalidParameter", "CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity",
                      AdjustmentValue=1, MinAdjustmentMagnitude=2)
    assert "MinAdjustmentMagnitude" in error.message
    emu.fails("InvalidParameter", "CreateScalingRule", ScalingGroupId=gid, AdjustmentType="PercentChangeInCapacity",
              AdjustmentValue=1, MinAdjustmentMagnitude=0)


def test_names_are_unique_in_the_group(emu: Emu) -> None:
    gid = _group(emu)
    emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity", AdjustmentValue=1,
             ScalingRuleName="up")
    error = emu.fails("InvalidScalingRuleName.Duplicate", "CreateScalingRule", ScalingGroupId=gid,
                      AdjustmentType="TotalCapacity", AdjustmentValue=1, ScalingRuleName="up")
    assert error.message == "The specified value of parameter ScalingRuleName is duplicated."


def test_the_fifty_first_rule_exceeds_the_quota(emu: Emu) -> None:
    gid = _group(emu)
    for _ in range(50):
        emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity", AdjustmentValue=1)
    error = emu.fails("QuotaExceeded.ScalingRule", "CreateScalingRule", ScalingGroupId=gid,
                      AdjustmentType="TotalCapacity", AdjustmentValue=1)
    assert error.message == "Scaling rule quota exceeded in the specified scaling group."


def test_unknown_group_is_not_found(emu: Emu) -> None:
    emu.fails("InvalidScalingGroupId.NotFound", "CreateScalingRule", ScalingGroupId="asg-x",
              AdjustmentType="TotalCapacity", AdjustmentValue=1)


def test_modify_changes_the_rule_and_validates_the_result(emu: Emu) -> None:
    gid = _group(emu)
    rid = emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity",
                   AdjustmentValue=1)["ScalingRuleId"]
    body = emu.call("ModifyScalingRule", ScalingRuleId=rid, AdjustmentValue=3, Cooldown=30, ScalingRuleName="set")
    assert body["ScalingRuleId"] == rid
    (rule,) = emu.call("DescribeScalingRules", emu.region, ScalingGroupId=gid)["ScalingRules"]["ScalingRule"]
    assert (rule["AdjustmentValue"], rule["Cooldown"], rule["ScalingRuleName"]) == (3, 30, "set")
    # Changing only the type re-checks the stored value against the new range.
    emu.call("ModifyScalingRule", ScalingRuleId=rid, AdjustmentType="QuantityChangeInCapacity",
             AdjustmentValue=-5)
    emu.fails("InvalidParameter", "ModifyScalingRule", ScalingRuleId=rid, AdjustmentType="TotalCapacity")
    emu.fails("InvalidScalingRuleId.NotFound", "ModifyScalingRule", ScalingRuleId="asr-x", AdjustmentValue=1)


def test_modify_to_a_taken_name_is_a_duplicate(emu: Emu) -> None:
    gid = _group(emu)
    emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity", AdjustmentValue=1,
             ScalingRuleName="a1")
    rid = emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity",
                   AdjustmentValue=1)["ScalingRuleId"]
    emu.fails("InvalidScalingRuleName.Duplicate", "ModifyScalingRule", ScalingRuleId=rid, ScalingRuleName="a1")


def test_delete_removes_the_rule_and_its_ari(emu: Emu) -> None:
    gid = _group(emu)
    body = emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity", AdjustmentValue=1)
    emu.call("DeleteScalingRule", ScalingRuleId=body["ScalingRuleId"])
    emu.fails("InvalidScalingRuleId.NotFound", "DeleteScalingRule", ScalingRuleId=body["ScalingRuleId"])
    emu.fails("InvalidScalingRuleAri.NotFound", "ExecuteScalingRule", ScalingRuleAri=body["ScalingRuleAri"])


def test_describe_filters_by_id_name_and_ari_in_either_spelling(emu: Emu) -> None:
    gid = _group(emu)
    made = [emu.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType="TotalCapacity", AdjustmentValue=i,
                     ScalingRuleName=f"r{i}") for i in range(3)]
    by_id = emu.call("DescribeScalingRules", emu.region, {"ScalingRuleId.1": made[0]["ScalingRuleId"]})
    assert by_id["TotalCount"] == 1
    by_name = emu.call("DescribeScalingRules", emu.region, {"ScalingRuleName.1": "r2"})
    assert by_name["ScalingRules"]["ScalingRule"][0]["ScalingRuleId"] == made[2]["ScalingRuleId"]
    camel = made[1]["ScalingRuleAri"].replace("scalingrule/", "scalingRule/")
    by_ari = emu.call("DescribeScalingRules", emu.region, {"ScalingRuleAri.1": camel})
    assert by_ari["ScalingRules"]["ScalingRule"][0]["ScalingRuleId"] == made[1]["ScalingRuleId"]
    assert emu.call("DescribeScalingRules", emu.region, PageSize=2)["TotalCount"] == 3
