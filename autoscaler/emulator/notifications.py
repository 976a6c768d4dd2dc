"""Notification configurations, the documented notification types, and the outbox.

Create/Modify/Delete/DescribeNotificationConfigurations and
DescribeNotificationTypes, with the documented errors. A configuration sends the
group's scaling events of its types to CloudMonitor or an MNS queue or topic. The
emulator has no MNS: every message it would send is kept, in order, in an
*outbox* (``OutboxRecord``, persisted with the rest of the state) that tests and
demos read with :func:`outbox`. Lifecycle hooks post their wait-state messages
(which carry the LifecycleActionToken) there too, through :func:`send`.

Notification targets: ``acs:ess:{region}:{account}:cloudmonitor``,
``...:queue/{name}`` or ``...:topic/{name}``, where region is the group's and
account the emulated account (else ``InvalidNotificationArn``). Which MNS queues
and topics exist, and whether MNS exists in the region at all, are settings
(``mns_queues``, ``mns_topics``, ``mns_available``); by default every well-formed
queue and topic exists. ``AUTOSCALING:SCHEDULE_TASK_EXPIRING`` is accepted but
never sent (docs/emulator-fidelity.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from autoscaler.emulator._common import error, find_group
from autoscaler.emulator._registry import Ctx, Params, action, on_notification
from autoscaler.emulator._state import ActivityRecord, GroupRecord, NotificationRecord, OutboxRecord, State
from autoscaler.ess.wire import format_timestamp

__all__ = ["NOTIFICATION_TYPES", "check_target", "outbox", "send"]

NOTIFICATION_TYPES = (
    "AUTOSCALING:SCALE_OUT_SUCCESS",
    "AUTOSCALING:SCALE_IN_SUCCESS",
    "AUTOSCALING:SCALE_OUT_ERROR",
    "AUTOSCALING:SCALE_IN_ERROR",
    "AUTOSCALING:SCALE_REJECT",
    "AUTOSCALING:SCALE_OUT_START",
    "AUTOSCALING:SCALE_IN_START",
    "AUTOSCALING:SCHEDULE_TASK_EXPIRING",
)
"""The eight types DescribeNotificationTypes documents, in its order."""

_TARGET = re.compile(r"^acs:ess:([a-z0-9-]+):([0-9]+):(cloudmonitor|queue/([A-Za-z0-9-]{1,256})|"
                     r"topic/([A-Za-z0-9-]{1,256}))$")
_MAX_TYPES = 8


def check_target(ctx: Ctx, group: GroupRecord, arn: str, *, cloudmonitor: bool, source: str) -> None:
    """Validate a notification target of ``group``; errors come from ``ctx.action``'s table, else ``source``'s.

    ``cloudmonitor``: whether CloudMonitor is a valid target (notification
    configurations: yes; lifecycle hooks: MNS queue or topic only).
    """
    match = _TARGET.match(arn)
    if (match is None or match.group(1) != group.region or match.group(2) != ctx.settings.account_id
            or (match.group(3) == "cloudmonitor" and not cloudmonitor)):
        raise error("InvalidNotificationArn", ctx.action, source=source)
    queue, topic = match.group(4), match.group(5)
    if (queue or topic) and not ctx.settings.mns_available:
        raise error("UnsupportedNotificationType.CurrentRegion", ctx.action, source=source)
    if queue is not None and ctx.settings.mns_queues is not None and queue not in ctx.settings.mns_queues:
        # ModifyLifecycleHook documents this case under the code "LifecycleHook".
        code = "LifecycleHook" if ctx.action == "ModifyLifecycleHook" else "QueueNotExist"
        raise error(code, ctx.action, source=source)
    if topic is not None and ctx.settings.mns_topics is not None and topic not in ctx.settings.mns_topics:
        raise error("TopicNotExist", ctx.action, source=source)


def send(ctx: Ctx, *, group_id: str, arn: str | None, kind: str, body: dict[str, str]) -> OutboxRecord:
    """Record a notification the real service would send to ``arn``."""
    state = ctx.state
    record = OutboxRecord(id=state.new_id("msg"), group_id=group_id, arn=arn, type=kind, time=ctx.now,
                          body=dict(body), seq=state.seq)
    state.outbox[record.id] = record
    state.touch("outbox", record.id)
    return record


def outbox(state: State, *, group_id: str | None = None, arn: str | None = None,
           since: datetime | None = None) -> list[OutboxRecord]:
    """The messages sent so far, oldest first, optionally filtered."""
    found = [
        m for m in state.outbox.values()
        if (group_id is None or m.group_id == group_id) and (arn is None or m.arn == arn)
        and (since is None or m.time >= since)
    ]
    return sorted(found, key=lambda m: m.seq)


def _types(ctx: Ctx, p: Params) -> list[str]:
    values = p.items("NotificationType")
    if not values or len(values) > _MAX_TYPES or any(v not in NOTIFICATION_TYPES for v in values):
        raise error("InvalidNotificationTypes", ctx.action, source="CreateNotificationConfiguration")
    return list(dict.fromkeys(values))


def _key(group_id: str, arn: str) -> str:
    return f"{group_id}|{arn}"


def _group_configurations(state: State, group_id: str) -> list[NotificationRecord]:
    return [n for n in state.notifications.values() if n.group_id == group_id]


def _find(ctx: Ctx, p: Params) -> NotificationRecord:
    group = find_group(ctx, p)
    record = ctx.state.notifications.get(_key(group.id, p.req("NotificationArn")))
    if record is None:
        raise error("NotificationConfigurationNotExist", ctx.action, source="DeleteNotificationConfiguration")
    return record


@action("CreateNotificationConfiguration")
def create_notification_configuration(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group = find_group(ctx, p)
    arn = p.req("NotificationArn")
    check_target(ctx, group, arn, cloudmonitor=True, source="CreateNotificationConfiguration")
    types = _types(ctx, p)
    key = _key(group.id, arn)
    if key in state.notifications:
        raise error("NotificationConfigurationExist", ctx.action)
    if len(_group_configurations(state, group.id)) >= ctx.settings.max_notification_configurations:
        raise error("NotificationConfigurationQuotaExceed.ForScalingGroup", ctx.action)
    state.notifications[key] = NotificationRecord(id=key, group_id=group.id, arn=arn, types=types)
    state.touch("notification", key)
    return {}


@action("ModifyNotificationConfiguration")
def modify_notification_configuration(ctx: Ctx, p: Params) -> dict[str, Any]:
    record = _find(ctx, p)
    # N is documented as 1-5 here (1-8 on create); all eight types are accepted (docs/emulator-fidelity.md).
    record.types = _types(ctx, p)
    ctx.state.touch("notification", record.id)
    return {}


@action("DeleteNotificationConfiguration")
def delete_notification_configuration(ctx: Ctx, p: Params) -> dict[str, Any]:
    record = _find(ctx, p)
    del ctx.state.notifications[record.id]
    ctx.state.touch("notification", record.id)
    return {}


@action("DescribeNotificationConfigurations")
def describe_notification_configurations(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    models = [
        {"ScalingGroupId": n.group_id, "NotificationArn": n.arn, "NotificationTypes": {"NotificationType": n.types}}
        for n in _group_configurations(ctx.state, group.id)
    ]
    return {"NotificationConfigurationModels": {"NotificationConfigurationModel": models}}


@action("DescribeNotificationTypes")
def describe_notification_types(ctx: Ctx, p: Params) -> dict[str, Any]:
    return {"NotificationTypes": {"NotificationType": list(NOTIFICATION_TYPES)}}


@on_notification
def _on_activity(ctx: Ctx, group_id: str, notification_type: str, activity: ActivityRecord) -> None:
    if not ctx.state.notifications:
        return
    for config in _group_configurations(ctx.state, group_id):
        if notification_type in config.types:
            send(ctx, group_id=group_id, arn=config.arn, kind=notification_type, body={
                "ScalingGroupId": group_id, "ScalingActivityId": activity.id, "NotificationType": notification_type,
                "StatusCode": activity.status_code, "Cause": activity.cause, "Description": activity.description,
                "Time": format_timestamp(ctx.now),
            })
