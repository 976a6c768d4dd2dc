"""Notification configurations: the five actions, their documented errors, and the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.notifications import NOTIFICATION_TYPES, outbox
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings

from .conftest import Emu

ACCOUNT = "1344371"
MONITOR = f"acs:ess:cn-hangzhou:{ACCOUNT}:cloudmonitor"
QUEUE = f"acs:ess:cn-hangzhou:{ACCOUNT}:queue/scaling"
TOPIC = f"acs:ess:cn-hangzhou:{ACCOUNT}:topic/scaling"
OUT = ["AUTOSCALING:SCALE_OUT_START", "AUTOSCALING:SCALE_OUT_SUCCESS"]


@pytest.fixture
def settings() -> EmulatorSettings:
    return EmulatorSettings(launch_seconds=60, mns_queues=frozenset({"scaling"}), mns_topics=frozenset({"scaling"}))


def create(emu: Emu, gid: str, arn: str, types: list[str]) -> None:
    emu.call("CreateNotificationConfiguration", ScalingGroupId=gid, NotificationArn=arn,
             **emu.n("NotificationType", types))


def described(emu: Emu, gid: str) -> list[dict[str, Any]]:
    body = emu.call("DescribeNotificationConfigurations", ScalingGroupId=gid)
    return list(body["NotificationConfigurationModels"]["NotificationConfigurationModel"])


def test_describe_notification_types_lists_the_eight_documented_types(emu: Emu) -> None:
    body = emu.call("DescribeNotificationTypes")
    assert body["NotificationTypes"]["NotificationType"] == list(NOTIFICATION_TYPES)
    assert len(NOTIFICATION_TYPES) == 8


def test_create_modify_describe_and_delete(emu: Emu) -> None:
    gid, _ = emu.group()
    create(emu, gid, MONITOR, OUT)
    create(emu, gid, QUEUE, ["AUTOSCALING:SCALE_REJECT"])
    assert described(emu, gid) == [
        {"ScalingGroupId": gid, "NotificationArn": MONITOR, "NotificationTypes": {"NotificationType": OUT}},
        {"ScalingGroupId": gid, "NotificationArn": QUEUE,
         "NotificationTypes": {"NotificationType": ["AUTOSCALING:SCALE_REJECT"]}},
    ]
    emu.call("ModifyNotificationConfiguration", ScalingGroupId=gid, NotificationArn=QUEUE,
             **emu.n("NotificationType", ["AUTOSCALING:SCALE_IN_ERROR"]))
    assert described(emu, gid)[1]["NotificationTypes"]["NotificationType"] == ["AUTOSCALING:SCALE_IN_ERROR"]
    emu.call("DeleteNotificationConfiguration", ScalingGroupId=gid, NotificationArn=MONITOR)
    assert [c["NotificationArn"] for c in described(emu, gid)] == [QUEUE]


@pytest.mark.parametrize("action", ["CreateNotificationConfiguration", "ModifyNotificationConfiguration",
                                    "DeleteNotificationConfiguration", "DescribeNotificationConfigurations"])
def test_unknown_group_is_not_found(emu: Emu, action: str) -> None:
    params = {"ScalingGroupId": "asg-nothing", "NotificationArn": MONITOR, "NotificationType.1": OUT[0]}
    error = emu.fails("InvalidScalingGroupId.NotFound", action, params)
    assert error.http_status == 404


@pytest.mark.parametrize(
    "arn",
    [f"acs:ess:cn-beijing:{ACCOUNT}:cloudmonitor", "acs:ess:cn-hangzhou:42:cloudmonitor",
     f"acs:ess:cn-hangzhou:{ACCOUNT}:mailbox/x", f"acs:ecs:cn-hangzhou:{ACCOUNT}:cloudmonitor"],
)
def test_invalid_notification_arn(emu: Emu, arn: str) -> None:
    gid, _ = emu.group()
    error = emu.fails("InvalidNotificationArn", "CreateNotificationConfiguration", ScalingGroupId=gid,
                      NotificationArn=arn, **emu.n("NotificationType", OUT))
    assert error.message == "The specified parameter notificationArn is invalid."


@pytest.mark.parametrize("types", [["AUTOSCALING:SCALE_SIDEWAYS"], [*NOTIFICATION_TYPES, OUT[0]]])
def test_invalid_notification_types(emu: Emu, types: list[str]) -> None:
    gid, _ = emu.group()
    error = emu.fails("InvalidNotificationTypes", "CreateNotificationConfiguration", ScalingGroupId=gid,
                      NotificationArn=MONITOR, **emu.n("NotificationType", types))
    assert error.message == "The specified notificationType is invalid."
    create(emu, gid, MONITOR, OUT)
    emu.fails("InvalidNotificationTypes", "ModifyNotificationConfiguration", ScalingGroupId=gid,
              NotificationArn=MONITOR, **emu.n("NotificationType", types))


def test_missing_notification_types_is_missing_parameter(emu: Emu) -> None:
    gid, _ = emu.group()
    emu.fails("MissingParameter", "CreateNotificationConfiguration", ScalingGroupId=gid, NotificationArn=MONITOR)


def test_a_configuration_exists_once_per_group_and_target(emu: Emu) -> None:
    gid, _ = emu.group()
    other, _ = emu.group()
    create(emu, gid, MONITOR, OUT)
    create(emu, other, MONITOR, OUT)
    error = emu.fails("NotificationConfigurationExist", "CreateNotificationConfiguration", ScalingGroupId=gid,
                      NotificationArn=MONITOR, **emu.n("NotificationType", OUT))
    assert error.message == "The specified notificationConfiguration already exist for the scalingGroup."


def test_configurations_per_group_are_limited(clock: VirtualClock) -> None:
    emu = Emu(EssService(clock, settings=EmulatorSettings(max_notification_configurations=2)), clock)
    gid, _ = emu.group()
    create(emu, gid, MONITOR, OUT)
    create(emu, gid, QUEUE, OUT)
    emu.fails("NotificationConfigurationQuotaExceed.ForScalingGroup", "CreateNotificationConfiguration",
              ScalingGroupId=gid, NotificationArn=TOPIC, **emu.n("NotificationType", OUT))


def test_missing_queue_and_topic(emu: Emu) -> None:
    gid, _ = emu.group()
    queue_error = emu.fails("QueueNotExist", "CreateNotificationConfiguration", ScalingGroupId=gid,
                            NotificationArn=QUEUE.replace("scaling", "nope"), **emu.n("NotificationType", OUT))
    assert queue_error.message == "The specified queue queuename does not exist."
    emu.fails("TopicNotExist", "CreateNotificationConfiguration", ScalingGroupId=gid,
              NotificationArn=TOPIC.replace("scaling", "nope"), **emu.n("NotificationType", OUT))


def test_mns_targets_are_unsupported_where_mns_is_not_offered(clock: VirtualClock) -> None:
    emu = Emu(EssService(clock, settings=EmulatorSettings(mns_available=False)), clock)
    gid, _ = emu.group()
    emu.fails("UnsupportedNotificationType.CurrentRegion", "CreateNotificationConfiguration", ScalingGroupId=gid,
              NotificationArn=QUEUE, **emu.n("NotificationType", OUT))
    create(emu, gid, MONITOR, OUT)  # CloudMonitor is always there


@pytest.mark.parametrize("action", ["ModifyNotificationConfiguration", "DeleteNotificationConfiguration"])
def test_modify_or_delete_of_an_absent_configuration(emu: Emu, action: str) -> None:
    gid, _ = emu.group()
    error = emu.fails("NotificationConfigurationNotExist", action, ScalingGroupId=gid, NotificationArn=QUEUE,
                      **emu.n("NotificationType", OUT))
    assert error.message == "The specified notificationConfiguration not exist for the scalingGroup."


def test_scaling_events_of_configured_types_reach_the_outbox(emu: Emu) -> None:
    gid, _ = emu.group()
    other, _ = emu.group()
    create(emu, gid, QUEUE, OUT)
    create(emu, gid, MONITOR, ["AUTOSCALING:SCALE_IN_START"])
    activity = emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 2))
    emu.execute(emu.rule(other, "QuantityChangeInCapacity", 1))
    emu.settle()
    messages = outbox(emu.service.state, group_id=gid)
    assert [(m.arn, m.type) for m in messages] == [(QUEUE, OUT[0]), (QUEUE, OUT[1])]
    assert all(m.body["ScalingActivityId"] == activity for m in messages)
    assert messages[1].body["StatusCode"] == "Successful"
    assert outbox(emu.service.state, group_id=other) == []
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", -1))
    assert [m.type for m in outbox(emu.service.state, arn=MONITOR)] == ["AUTOSCALING:SCALE_IN_START"]


def test_deleted_configuration_sends_nothing(emu: Emu) -> None:
    gid, _ = emu.group()
    create(emu, gid, QUEUE, OUT)
    emu.call("DeleteNotificationConfiguration", ScalingGroupId=gid, NotificationArn=QUEUE)
    emu.execute(emu.rule(gid, "QuantityChangeInCapacity", 1))
    emu.settle()
    assert outbox(emu.service.state) == []
