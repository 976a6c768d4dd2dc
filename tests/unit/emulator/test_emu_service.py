"""The service contract: generic validation, dispatch, events, internal errors, faults."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator import _registry
from autoscaler.emulator._registry import Ctx, Params
from autoscaler.emulator.faults import Injection, RandomFaultPlan, ResponseLost, ScriptedFaultPlan
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import EssError, InternalError, ThrottlingError, ess_error

from .conftest import START, Emu


def test_an_unknown_action_is_an_unsupported_operation(emu: Emu) -> None:
    error = emu.fails("UnsupportedOperation", "LaunchRockets")
    assert error.message == "The specified action is not supported."


def test_a_missing_required_parameter_is_named(emu: Emu) -> None:
    error = emu.fails("MissingParameter", "CreateScalingGroup", emu.region, MinSize=0)
    assert "MaxSize" in error.message


def test_a_missing_repeated_parameter_names_its_first_index(emu: Emu) -> None:
    gid, _ = emu.group()
    error = emu.fails("MissingParameter", "EnterStandby", ScalingGroupId=gid)
    assert "InstanceId.1" in error.message


def test_a_non_integer_is_an_invalid_parameter_naming_it(emu: Emu) -> None:
    error = emu.fails("InvalidParameter", "CreateScalingGroup", emu.region, MinSize="one", MaxSize=2)
    assert error.message == "The specified value of parameter MinSize is not valid."


def test_a_non_boolean_is_an_invalid_parameter_naming_it(emu: Emu) -> None:
    gid, _ = emu.group()
    error = emu.fails("InvalidParameter", "DeleteScalingGroup", ScalingGroupId=gid, ForceDelete="yes")
    assert "ForceDelete" in error.message


def test_an_indexed_integer_parameter_is_checked_under_its_own_name(emu: Emu) -> None:
    gid, _ = emu.group()
    error = emu.fails("InvalidParameter", "AttachInstances", ScalingGroupId=gid,
                      **{"InstanceId.1": "i-x", "LoadBalancerWeight.1": "heavy"})
    assert "LoadBalancerWeight.1" in error.message


def test_another_region_is_not_found(emu: Emu) -> None:
    emu.fails("InvalidRegionId.NotFound", "DescribeScalingGroups", RegionId="mars-north-1")


def test_an_unexpected_exception_becomes_internal_error_and_is_recorded(emu: Emu) -> None:
    def broken(ctx: Ctx, p: Params) -> dict[str, Any]:
        raise ZeroDivisionError("bug")

    original = _registry._ACTIONS.get("DescribeNotificationTypes")
    _registry._ACTIONS["DescribeNotificationTypes"] = broken
    try:
        with pytest.raises(InternalError) as info:
            emu.call("DescribeNotificationTypes")
        assert info.value.http_status == 500
        assert len(emu.service.internal_errors) == 1
        emu.service.internal_errors.clear()
    finally:
        if original is None:
            del _registry._ACTIONS["DescribeNotificationTypes"]
        else:
            _registry._ACTIONS["DescribeNotificationTypes"] = original


def test_events_apply_in_time_order_when_the_clock_reaches_them(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2)
    assert emu.info(gid)["TotalCapacity"] == 2
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, MinSize=3)
    due = emu.service.next_event_time()
    assert due == emu.clock.now() + timedelta(seconds=60)
    emu.clock.set(due - timedelta(seconds=1))
    assert emu.info(gid)["PendingCapacity"] == 1
    emu.clock.set(due)
    assert emu.info(gid)["PendingCapacity"] == 0
    assert emu.info(gid)["ActiveCapacity"] == 3
    assert emu.service.next_event_time() is None


def test_advance_never_goes_back_in_time(emu: Emu) -> None:
    gid, _ = emu.group(min_size=1)
    emu.call("ModifyScalingGroup", ScalingGroupId=gid, MinSize=2)
    later = emu.clock.now() + timedelta(minutes=5)
    assert emu.service.advance(later) == 1
    assert emu.service.advance(START) == 0


def test_an_injected_error_is_raised_before_anything_changes(clock: VirtualClock) -> None:
    plan = ScriptedFaultPlan([Injection(error=ess_error("Throttling"))])
    service = EssService(clock, faults=plan)
    with pytest.raises(ThrottlingError):
        service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1"})
    assert service.state.groups == {}
    service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1"})
    assert len(service.state.groups) == 1


def test_a_lost_response_still_applies_the_change(clock: VirtualClock) -> None:
    plan = ScriptedFaultPlan([Injection(lose_response=True)])
    service = EssService(clock, faults=plan)
    with pytest.raises(ResponseLost):
        service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1"})
    assert len(service.state.groups) == 1


def test_latency_is_reported_to_the_front_without_sleeping(clock: VirtualClock) -> None:
    service = EssService(clock, faults=ScriptedFaultPlan([Injection(latency=2.5)]))
    reply = service.dispatch("DescribeScalingGroups", {"RegionId": "cn-hangzhou"})
    assert reply.latency == 2.5
    assert reply.body["TotalCount"] == 0


def test_random_faults_are_deterministic_for_a_seed(clock: VirtualClock) -> None:
    def run(seed: int) -> list[str]:
        plan = RandomFaultPlan(random.Random(seed), error_rate=0.5)
        service = EssService(clock, faults=plan)
        outcomes = []
        for _ in range(20):
            try:
                service.handle("DescribeScalingGroups", {"RegionId": "cn-hangzhou"})
                outcomes.append("ok")
            except EssError as exc:
                outcomes.append(exc.code)
        return outcomes

    first = run(7)
    assert first == run(7)
    assert "ok" in first
    assert set(first) - {"ok"} <= {"Throttling", "ServiceUnavailable", "InternalError"}
    assert len(set(first)) > 1


def test_random_fault_plan_rejects_bad_rates() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        RandomFaultPlan(random.Random(1), error_rate=1.5)


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="launch_seconds"):
        EmulatorSettings(launch_seconds=-1)
    with pytest.raises(ValueError, match="account_id"):
        EmulatorSettings(account_id="acme")


def test_the_repr_says_what_the_service_is(emu: Emu) -> None:
    assert "cn-hangzhou" in repr(emu.service)


def test_typed_reads_match_the_wire_answers(emu: Emu) -> None:
    gid, _ = emu.group(min_size=2)
    aid = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    service = emu.service
    assert service.scaling_group(gid).to_wire() == emu.info(gid)
    assert [i.to_wire() for i in service.scaling_instances(gid)] == emu.instances(gid)
    activity = service.scaling_activity(aid)
    assert activity is not None and activity.to_wire() == emu.activity(aid)
    assert service.scaling_activity("asa-none") is None
    with pytest.raises(EssError) as info:
        service.scaling_group("asg-none")
    assert info.value.code == "InvalidScalingGroupId.NotFound"
