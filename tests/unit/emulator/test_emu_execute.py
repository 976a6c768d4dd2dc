"""ExecuteScalingRule: arithmetic, preconditions, idempotence, quotas."""

from __future__ import annotations

from datetime import timedelta

from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings

from .conftest import Emu


def test_quantity_adds_and_the_activity_is_returned(emu: Emu) -> None:
    gid, _ = emu.group(max_size=5)
    aid = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 2))
    activity = emu.activity(aid)
    assert activity["StatusCode"] == "InProgress"
    assert activity["Description"] == 'Add "2" ECS instances'
    assert 'from "0" to "2"' in activity["Cause"]
    assert emu.info(gid)["PendingCapacity"] == 2


def test_the_result_is_clamped_to_max_size(emu: Emu) -> None:
    gid, _ = emu.group(max_size=3)
    emu.scale_to(gid, 2)
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 3))
    emu.settle()
    assert emu.info(gid)["TotalCapacity"] == 3


def test_the_result_is_clamped_to_min_size(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2, max_size=5)
    emu.scale_to(gid, 3)
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", -5))
    emu.settle()
    assert emu.info(gid)["TotalCapacity"] == 2


def test_percent_rounds_half_away_from_zero(emu: Emu) -> None:
    gid, _ = emu.group(max_size=20)
    emu.scale_to(gid, 5)
    emu.execute(emu.rule(gid, "PercentChangeInCapacity", 50))  # 2.5 -> 3
    emu.settle()
    assert emu.info(gid)["TotalCapacity"] == 8


def test_min_adjustment_magnitude_lifts_a_small_percent_change(emu: Emu) -> None:
    gid, _ = emu.group(max_size=20)
    emu.scale_to(gid, 4)
    emu.execute(emu.rule(gid, "PercentChangeInCapacity", 10, MinAdjustmentMagnitude=3))
    emu.settle()
    assert emu.info(gid)["TotalCapacity"] == 7


def test_no_change_is_refused_with_the_documented_error(emu: Emu) -> None:
    gid, _ = emu.group(max_size=3)
    emu.scale_to(gid, 3)
    error = emu.fails("IncorrectCapacity.NoChange", "ExecuteScalingRule",
                      ScalingRuleAri=emu.rule(gid, "QuantityChangeInCapacity", 1))
    assert error.message == "To execute the specified scaling rule, the total capacity will not change."


def test_an_unknown_ari_is_not_found(emu: Emu) -> None:
    error = emu.fails("InvalidScalingRuleAri.NotFound", "ExecuteScalingRule",
                      ScalingRuleAri="ari:acs:ess:cn-hangzhou:1344371:scalingrule/asr-nope")
    assert error.http_status == 404


def test_the_ari_may_be_spelled_scaling_rule_in_camel_case(emu: Emu) -> None:
    gid, _ = emu.group()
    ari = emu.rule(gid, "TotalCapacity", 1).replace("scalingrule/", "scalingRule/")
    emu.execute(ari)


def test_an_inactive_group_refuses(emu: Emu) -> None:
    gid, _ = emu.group(enable=False)
    emu.fails("IncorrectScalingGroupStatus", "ExecuteScalingRule", ScalingRuleAri=emu.rule(gid, "TotalCapacity", 1))


def test_a_busy_group_refuses_and_accepts_again_once_idle(emu: Emu) -> None:
    gid, _ = emu.group()
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1)
    emu.execute(ari)
    error = emu.fails("ScalingActivityInProgress", "ExecuteScalingRule", ScalingRuleAri=ari)
    assert "while there is a scaling activity in progress" in error.message
    emu.settle()
    emu.execute(ari)


def test_the_api_bypasses_the_cooldown(emu: Emu) -> None:
    gid, _ = emu.group()
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1, Cooldown=3600)
    emu.execute(ari)
    emu.settle()
    assert emu.service.state.groups[gid].cooldown_until == emu.clock.now() + timedelta(seconds=3600)
    emu.execute(ari)


def test_the_same_token_returns_the_same_activity(emu: Emu) -> None:
    gid, _ = emu.group()
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1)
    first = emu.execute(ari, ClientToken="tok-1")
    assert emu.execute(ari, ClientToken="tok-1") == first  # while it runs
    emu.settle()
    assert emu.execute(ari, ClientToken="tok-1") == first  # and after it ended
    assert emu.info(gid)["TotalCapacity"] == 1


def test_the_same_token_with_other_parameters_is_a_mismatch(emu: Emu) -> None:
    gid, _ = emu.group()
    up = emu.rule(gid, "QuantityChangeInCapacity", 1)
    other = emu.rule(gid, "QuantityChangeInCapacity", 2)
    emu.execute(up, ClientToken="tok-1")
    error = emu.fails("IdempotentParameterMismatch", "ExecuteScalingRule", ScalingRuleAri=other, ClientToken="tok-1")
    assert error.http_status == 400


def test_tokens_are_case_sensitive_and_at_most_64_ascii_characters(emu: Emu) -> None:
    gid, _ = emu.group()
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1)
    first = emu.execute(ari, ClientToken="Tok")
    emu.settle()
    assert emu.execute(ari, ClientToken="tok") != first
    emu.settle()
    emu.fails("InvalidParameter", "ExecuteScalingRule", ScalingRuleAri=ari, ClientToken="x" * 65)
    emu.fails("InvalidParameter", "ExecuteScalingRule", ScalingRuleAri=ari, ClientToken="é")


def test_a_failed_call_does_not_consume_its_token(emu: Emu) -> None:
    gid, _ = emu.group(max_size=1)
    emu.scale_to(gid, 1)
    ari = emu.rule(gid, "QuantityChangeInCapacity", 1)
    emu.fails("IncorrectCapacity.NoChange", "ExecuteScalingRule", ScalingRuleAri=ari, ClientToken="t")
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, MaxSize=2)
    emu.execute(ari, ClientToken="t")


def test_the_auto_created_instance_quota_is_enforced(clock: object) -> None:
    from autoscaler.clock import VirtualClock

    assert isinstance(clock, VirtualClock)
    emu = Emu(EssService(clock, settings=EmulatorSettings(max_auto_created_instances=3)), clock)
    gid, _ = emu.group(max_size=10)
    emu.scale_to(gid, 3)
    error = emu.fails("QuotaExceeded.ScalingInstance", "ExecuteScalingRule",
                      ScalingRuleAri=emu.rule(gid, "QuantityChangeInCapacity", 1))
    assert error.message == "Scaling instance quota exceeded."
    attached = emu.ecs()
    emu.call("AttachInstances", {"ScalingGroupId": gid, "InstanceId.1": attached})  # attached ones do not count
    emu.settle()
    assert emu.info(gid)["TotalCapacity"] == 4


def test_scale_in_never_takes_standby_or_protected_instances(emu: Emu) -> None:
    gid, _ = emu.group(max_size=5)
    emu.scale_to(gid, 4)
    ids = emu.ids(gid)
    emu.call("EnterStandby", {"ScalingGroupId": gid, "InstanceId.1": ids[0]})
    emu.call("SetInstancesProtection", {"ScalingGroupId": gid, "InstanceId.1": ids[1], "ProtectedFromScaleIn": "true"})
    emu.execute(emu.rule(gid, "TotalCapacity", 0))
    emu.settle()
    assert emu.ids(gid) == ids[:2]
    error = emu.fails("IncorrectCapacity.NoChange", "ExecuteScalingRule",
                      ScalingRuleAri=emu.rule(gid, "QuantityChangeInCapacity", -1))
    assert error.code == "IncorrectCapacity.NoChange"
