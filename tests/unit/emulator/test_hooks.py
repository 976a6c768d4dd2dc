"""Lifecycle hooks: the six actions, their documented errors, and wait states on a virtual clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from autoscaler.emulator._state import LifecycleActionRecord
from autoscaler.emulator.notifications import outbox
from autoscaler.emulator.settings import EmulatorSettings

from .conftest import Emu

ACCOUNT = "1344371"
QUEUE = f"acs:ess:cn-hangzhou:{ACCOUNT}:queue/hooks"
TOPIC = f"acs:ess:cn-hangzhou:{ACCOUNT}:topic/events"


@pytest.fixture
def settings() -> EmulatorSettings:
    return EmulatorSettings(launch_seconds=60, removal_seconds=30, mns_queues=frozenset({"hooks"}),
                            mns_topics=frozenset({"events"}))


def hook(emu: Emu, gid: str, transition: str = "SCALE_OUT", **extra: Any) -> str:
    return str(emu.call("CreateLifecycleHook", ScalingGroupId=gid, LifecycleTransition=transition,
                        **extra)["LifecycleHookId"])


def described(emu: Emu, **filters: Any) -> list[dict[str, Any]]:
    return list(emu.call("DescribeLifecycleHooks", **filters)["LifecycleHooks"]["LifecycleHook"])


def waiting(emu: Emu) -> list[LifecycleActionRecord]:
    return sorted(emu.service.state.lifecycle_actions.values(), key=lambda a: (a.started, a.token))


def step(emu: Emu, seconds: float) -> None:
    emu.clock.advance(seconds)
    emu.service.advance(emu.clock.now())


def scale_out_into_wait(emu: Emu, gid: str, count: int = 1) -> str:
    activity = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", count))
    step(emu, 60)  # the launch ends; the hook holds the instances
    return activity


# --------------------------------------------------------------------------- hook CRUD


def test_create_returns_an_id_and_describe_shows_the_defaults(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid)
    assert described(emu, ScalingGroupId=gid) == [{
        "ScalingGroupId": gid, "LifecycleHookId": hook_id, "LifecycleHookName": hook_id,
        "DefaultResult": "CONTINUE", "HeartbeatTimeout": 600, "LifecycleTransition": "SCALE_OUT"}]


def test_describe_by_ids_by_group_and_name_and_pages_of_fifty(emu: Emu) -> None:
    gid, _ = emu.group()
    other, _ = emu.group()
    first = hook(emu, gid, LifecycleHookName="first", NotificationArn=QUEUE, NotificationMetadata="meta")
    second = hook(emu, gid, "SCALE_IN", LifecycleHookName="second")
    third = hook(emu, other, LifecycleHookName="first")
    assert [h["LifecycleHookId"] for h in described(emu, **emu.n("LifecycleHookId", [third, first, "ash-x"]))] \
        == [third, first]
    assert [h["LifecycleHookId"] for h in described(emu, ScalingGroupId=gid)] == [first, second]
    [item] = described(emu, ScalingGroupId=gid, LifecycleHookName="first")
    assert (item["NotificationArn"], item["NotificationMetadata"]) == (QUEUE, "meta")
    body = emu.call("DescribeLifecycleHooks")
    assert (body["TotalCount"], body["PageSize"]) == (3, 50)


def test_six_hooks_per_group(emu: Emu) -> None:
    gid, _ = emu.group()
    for _ in range(6):
        hook(emu, gid)
    error = emu.fails("QuotaExceeded.LifecycleHook", "CreateLifecycleHook", ScalingGroupId=gid,
                      LifecycleTransition="SCALE_IN")
    assert error.message == "Lifecycle hook quota exceeded in the specified scaling group."


def test_hook_names_are_unique_within_a_group(emu: Emu) -> None:
    gid, _ = emu.group()
    other, _ = emu.group()
    hook(emu, gid, LifecycleHookName="drain")
    hook(emu, other, LifecycleHookName="drain")
    emu.fails("InvalidLifecycleHookName.Duplicate", "CreateLifecycleHook", ScalingGroupId=gid,
              LifecycleTransition="SCALE_IN", LifecycleHookName="drain")


@pytest.mark.parametrize(
    "extra",
    [
        {"LifecycleTransition": "SCALE_SIDEWAYS"},
        {"HeartbeatTimeout": "29"},
        {"HeartbeatTimeout": "21601"},
        {"DefaultResult": "RETRY"},
        {"LifecycleHookName": "x"},
        {"LifecycleHookName": "bad name"},
        {"NotificationArn": QUEUE, "NotificationMetadata": "m" * 129},
    ],
)
def test_invalid_values_answer_the_documented_invalid_paramter(emu: Emu, extra: dict[str, str]) -> None:
    gid, _ = emu.group()
    params = {"ScalingGroupId": gid, "LifecycleTransition": "SCALE_OUT"} | extra
    error = emu.fails("InvalidParamter", "CreateLifecycleHook", params)
    assert error.message == "The specified value of parameter is not valid."
    assert described(emu) == []


def test_create_in_an_unknown_group_is_not_found(emu: Emu) -> None:
    emu.fails("InvalidScalingGroupId.NotFound", "CreateLifecycleHook", ScalingGroupId="asg-x",
              LifecycleTransition="SCALE_OUT")


@pytest.mark.parametrize(
    "arn",
    [
        f"acs:ess:cn-beijing:{ACCOUNT}:queue/hooks",
        "acs:ess:cn-hangzhou:999:queue/hooks",
        f"acs:ess:cn-hangzhou:{ACCOUNT}:cloudmonitor",
        f"acs:ess:cn-hangzhou:{ACCOUNT}:bucket/hooks",
        "queue/hooks",
    ],
)
def test_notification_arn_must_be_a_queue_or_topic_of_the_group_region_and_account(emu: Emu, arn: str) -> None:
    gid, _ = emu.group()
    error = emu.fails("InvalidNotificationArn", "CreateLifecycleHook", ScalingGroupId=gid,
                      LifecycleTransition="SCALE_OUT", NotificationArn=arn)
    assert error.message == "The specified parameter notificationArn is invalid."


def test_missing_queue_and_topic_have_their_codes(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.fails("QueueNotExist", "CreateLifecycleHook", ScalingGroupId=gid, LifecycleTransition="SCALE_OUT",
              NotificationArn=QUEUE.replace("hooks", "nope"))
    emu.fails("TopicNotExist", "CreateLifecycleHook", ScalingGroupId=gid, LifecycleTransition="SCALE_OUT",
              NotificationArn=TOPIC.replace("events", "nope"))
    hook_id = hook(emu, gid, NotificationArn=TOPIC)
    # ModifyLifecycleHook documents the missing queue under the code "LifecycleHook".
    error = emu.fails("LifecycleHook", "ModifyLifecycleHook", LifecycleHookId=hook_id,
                      NotificationArn=QUEUE.replace("hooks", "nope"))
    assert error.message == "The specified queue does not exist."


def test_a_region_without_mns_rejects_queue_targets(clock: Any) -> None:
    from autoscaler.emulator.service import EssService

    emu = Emu(EssService(clock, settings=EmulatorSettings(mns_available=False)), clock)
    gid, _ = emu.group()
    emu.fails("UnsupportedNotificationType.CurrentRegion", "CreateLifecycleHook", ScalingGroupId=gid,
              LifecycleTransition="SCALE_OUT", NotificationArn=QUEUE)


def test_modify_by_id_or_by_group_and_name(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid, LifecycleHookName="drain")
    emu.call("ModifyLifecycleHook", LifecycleHookId=hook_id, HeartbeatTimeout=120, DefaultResult="ABANDON")
    emu.call("ModifyLifecycleHook", ScalingGroupId=gid, LifecycleHookName="drain", LifecycleTransition="SCALE_IN",
             NotificationArn=QUEUE, NotificationMetadata="m")
    [item] = described(emu)
    assert (item["HeartbeatTimeout"], item["DefaultResult"], item["LifecycleTransition"], item["NotificationArn"]) \
        == (120, "ABANDON", "SCALE_IN", QUEUE)


@pytest.mark.parametrize("action", ["ModifyLifecycleHook", "DeleteLifecycleHook"])
def test_unknown_hook_id_or_name_is_not_exist(emu: Emu, action: str) -> None:
    gid, _ = emu.group()
    emu.fails("InvalidLifecycleHookId.NotExist", action, LifecycleHookId="ash-x")
    emu.fails("InvalidLifecycleHookName.NotExist", action, ScalingGroupId=gid, LifecycleHookName="nothing")
    emu.fails("MissingParameter", action)


@pytest.mark.parametrize("extra", [{"HeartbeatTimeout": "10"}, {"DefaultResult": "NO"},
                                   {"LifecycleTransition": "UP"}])
def test_modify_invalid_values_are_invalid_paramter(emu: Emu, extra: dict[str, str]) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid)
    emu.fails("InvalidParamter", "ModifyLifecycleHook", {"LifecycleHookId": hook_id} | extra)


def test_delete_by_name_removes_the_hook_and_frees_the_quota(emu: Emu) -> None:
    gid, _ = emu.group()
    for i in range(6):
        hook(emu, gid, LifecycleHookName=f"h{i}")
    emu.call("DeleteLifecycleHook", ScalingGroupId=gid, LifecycleHookName="h0")
    assert len(described(emu, ScalingGroupId=gid)) == 5
    hook(emu, gid)


# --------------------------------------------------------------------------- wait states


def test_scale_out_instance_waits_until_completed_with_continue(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid, HeartbeatTimeout=300, NotificationArn=QUEUE, NotificationMetadata="warm-up")
    activity = scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    [instance] = emu.instances(gid)
    assert instance["LifecycleState"] == "Pending"
    assert emu.activity(activity)["StatusCode"] == "InProgress"
    [message] = outbox(emu.service.state, arn=QUEUE)
    assert message.body["LifecycleActionToken"] == record.token
    assert message.body["NotificationMetadata"] == "warm-up"
    assert message.body["InstanceId"] == instance["InstanceId"]
    emu.call("CompleteLifecycleAction", LifecycleHookId=hook_id, LifecycleActionToken=record.token)
    assert emu.instances(gid)[0]["LifecycleState"] == "InService"
    assert emu.activity(activity)["StatusCode"] == "Successful"
    assert waiting(emu) == []


def test_abandon_on_scale_out_releases_the_created_instance(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid)
    activity = scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    emu.call("CompleteLifecycleAction", LifecycleHookId=hook_id, LifecycleActionToken=record.token,
             LifecycleActionResult="ABANDON")
    assert emu.instances(gid) == []
    assert record.instance_id not in emu.service.state.ecs_instances
    assert emu.activity(activity)["StatusCode"] == "Failed"


def test_timeout_applies_the_default_result_exactly_at_the_deadline(emu: Emu) -> None:
    gid, _ = emu.group()
    hook(emu, gid, HeartbeatTimeout=300, DefaultResult="ABANDON")
    scale_out_into_wait(emu, gid)
    step(emu, 299)
    assert len(emu.instances(gid)) == 1
    step(emu, 1)
    assert emu.instances(gid) == []


def test_timeout_with_continue_puts_the_instance_in_service(emu: Emu) -> None:
    gid, _ = emu.group()
    hook(emu, gid, HeartbeatTimeout=30)
    scale_out_into_wait(emu, gid)
    step(emu, 30)
    assert emu.instances(gid)[0]["LifecycleState"] == "InService"


def test_heartbeat_restarts_the_wait(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid, HeartbeatTimeout=300, DefaultResult="ABANDON")
    scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    step(emu, 200)
    emu.call("RecordLifecycleActionHeartbeat", LifecycleHookId=hook_id, LifecycleActionToken=record.token,
             HeartbeatTimeout=120)
    step(emu, 119)
    assert len(emu.instances(gid)) == 1
    emu.call("RecordLifecycleActionHeartbeat", LifecycleHookId=hook_id, LifecycleActionToken=record.token)
    step(emu, 299)  # without HeartbeatTimeout the hook's 300 s apply
    assert len(emu.instances(gid)) == 1
    step(emu, 1)
    assert emu.instances(gid) == []


def test_heartbeat_limit_of_twenty_records(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid, HeartbeatTimeout=30)
    scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    for _ in range(20):
        emu.call("RecordLifecycleActionHeartbeat", LifecycleHookId=hook_id, LifecycleActionToken=record.token)
    error = emu.fails("LifecycleAction.RecordTimesExceeded", "RecordLifecycleActionHeartbeat",
                      LifecycleHookId=hook_id, LifecycleActionToken=record.token)
    assert error.message == "The specified lifecycleAction exceed lifecycleAction max record times."


def test_heartbeat_may_not_extend_the_wait_beyond_six_hours(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid, HeartbeatTimeout=21600)
    scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    step(emu, 60)
    error = emu.fails("LifecycleAction.TimeExceeded", "RecordLifecycleActionHeartbeat", LifecycleHookId=hook_id,
                      LifecycleActionToken=record.token, HeartbeatTimeout=21600)
    assert error.message == "The specified parameter heartbeatTime exceed lifecycleAction max suspend time."
    emu.call("RecordLifecycleActionHeartbeat", LifecycleHookId=hook_id, LifecycleActionToken=record.token,
             HeartbeatTimeout=21540)  # exactly six hours after the wait began
    assert record.deadline - record.started == timedelta(hours=6)


def test_heartbeat_timeout_out_of_range_is_invalid_paramter(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid)
    scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    emu.fails("InvalidParamter", "RecordLifecycleActionHeartbeat", LifecycleHookId=hook_id,
              LifecycleActionToken=record.token, HeartbeatTimeout=29)


@pytest.mark.parametrize("action", ["RecordLifecycleActionHeartbeat", "CompleteLifecycleAction"])
def test_tokens_must_match_an_in_progress_action_of_the_hook(emu: Emu, action: str) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid)
    other_hook = hook(emu, gid, "SCALE_IN")
    scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    message = ("The specified lifecycleActionToken and lifecycleHookId you provided does not match any in "
               "process lifecycle action.")
    code = "LifecycleHookIdAndLifecycleActionToken.Invalid"
    assert emu.fails(code, action, LifecycleHookId=other_hook, LifecycleActionToken=record.token).message == message
    emu.fails(code, action, LifecycleHookId=hook_id, LifecycleActionToken="lat-unknown")
    emu.call("CompleteLifecycleAction", LifecycleHookId=hook_id, LifecycleActionToken=record.token)
    emu.fails(code, action, LifecycleHookId=hook_id, LifecycleActionToken=record.token)


def test_complete_with_an_unknown_result_is_invalid_paramter(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid)
    scale_out_into_wait(emu, gid)
    [record] = waiting(emu)
    error = emu.fails("InvalidParamter", "CompleteLifecycleAction", LifecycleHookId=hook_id,
                      LifecycleActionToken=record.token, LifecycleActionResult="MAYBE")
    assert error.message == "The specified value of parameter is invalid."


def test_scale_in_instance_waits_in_removing_then_leaves(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 2)
    hook_id = hook(emu, gid, "SCALE_IN", HeartbeatTimeout=600)
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", -1))
    step(emu, 30)
    [record] = waiting(emu)
    states = sorted(i["LifecycleState"] for i in emu.instances(gid))
    assert states == ["InService", "Removing"]
    emu.call("CompleteLifecycleAction", LifecycleHookId=hook_id, LifecycleActionToken=record.token)
    assert [i["LifecycleState"] for i in emu.instances(gid)] == ["InService"]


def test_abandon_in_scale_in_ends_the_other_hooks_at_once(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.scale_to(gid, 1)
    first = hook(emu, gid, "SCALE_IN")
    hook(emu, gid, "SCALE_IN")
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", -1))
    actions = waiting(emu)
    assert len(actions) == 2
    token = next(a.token for a in actions if a.hook_id == first)
    emu.call("CompleteLifecycleAction", LifecycleHookId=first, LifecycleActionToken=token,
             LifecycleActionResult="ABANDON")
    assert waiting(emu) == []
    step(emu, 30)
    assert emu.instances(gid) == []


def test_with_two_scale_out_hooks_the_last_result_decides(emu: Emu) -> None:
    gid, _ = emu.group()
    first = hook(emu, gid)
    second = hook(emu, gid)
    scale_out_into_wait(emu, gid)
    tokens = {a.hook_id: a.token for a in waiting(emu)}
    emu.call("CompleteLifecycleAction", LifecycleHookId=first, LifecycleActionToken=tokens[first],
             LifecycleActionResult="ABANDON")
    assert emu.instances(gid)[0]["LifecycleState"] == "Pending"  # still held by the second hook
    emu.call("CompleteLifecycleAction", LifecycleHookId=second, LifecycleActionToken=tokens[second])
    assert emu.instances(gid)[0]["LifecycleState"] == "InService"


def test_deleting_a_hook_ends_its_wait_states(emu: Emu) -> None:
    gid, _ = emu.group()
    hook_id = hook(emu, gid, DefaultResult="ABANDON")
    scale_out_into_wait(emu, gid)
    emu.call("DeleteLifecycleHook", LifecycleHookId=hook_id)
    assert waiting(emu) == []
    assert emu.instances(gid)[0]["LifecycleState"] == "InService"


def test_hooks_of_the_other_transition_do_not_hold_instances(emu: Emu) -> None:
    gid, _ = emu.group()
    hook(emu, gid, "SCALE_IN")
    scale_out_into_wait(emu, gid)
    assert waiting(emu) == []
    assert emu.instances(gid)[0]["LifecycleState"] == "InService"


def test_wait_states_survive_a_restart(tmp_path: Any, clock: Any, settings: EmulatorSettings) -> None:
    from autoscaler.emulator.service import EssService
    from autoscaler.emulator.store import SqliteStore

    path = tmp_path / "ess.db"
    first = Emu(EssService(clock, settings=settings, store=SqliteStore(path)), clock)
    gid, _ = first.group()
    hook_id = hook(first, gid, HeartbeatTimeout=300, DefaultResult="ABANDON")
    scale_out_into_wait(first, gid, count=2)
    tokens = [a.token for a in waiting(first)]
    second = Emu(EssService(clock, settings=settings, store=SqliteStore(path)), clock)
    second.call("CompleteLifecycleAction", LifecycleHookId=hook_id, LifecycleActionToken=tokens[0])
    step(second, 300)  # the other one times out with ABANDON after the restart
    assert [i["LifecycleState"] for i in second.instances(gid)] == ["InService"]
