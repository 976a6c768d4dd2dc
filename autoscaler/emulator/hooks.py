"""Lifecycle hooks: the six hook actions and the wait states they put instances in.

A hook of a group holds the instances of that group's scale-out (``SCALE_OUT``) or
scale-in (``SCALE_IN``) activities in a wait state. The activity code asks through
the :func:`~autoscaler.emulator._registry.lifecycle_gate` seam which instances are
held; for each held instance and each matching hook this module opens a *lifecycle
action* (``LifecycleActionRecord``, keyed by its LifecycleActionToken), posts the
wait-state message with the token and the hook's NotificationMetadata to the
hook's NotificationArn (the notification outbox), and queues a ``hook.timeout``
event at the heartbeat deadline. A held instance stays Pending (scale-out) or
Removing (scale-in), as the 2014-08-28 reference knows no ``:Wait`` states.

An action ends by CompleteLifecycleAction (CONTINUE/ABANDON), by its timeout
(the hook's DefaultResult), or by the deletion of its hook (CONTINUE: "the wait
state will be terminated"). When the instance's last action ends, the activity
code is told the result (:func:`autoscaler.emulator.activities.release_from_wait`):
CONTINUE puts a launched instance in service, ABANDON releases it; a scale-in
instance leaves either way. As documented, an ABANDON during SCALE_IN ends the
instance's other hooks at once; otherwise the result of the last action to end
wins. RecordLifecycleActionHeartbeat restarts the wait (HeartbeatTimeout, default
the hook's) at most 20 times and never beyond six hours after the wait began.

Invalid values answer the code the hook sections document, ``InvalidParamter``
(sic); docs/emulator-fidelity.md records the choices where the reference is silent.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from autoscaler.emulator import activities
from autoscaler.emulator._common import error, find_group, page
from autoscaler.emulator._registry import Ctx, Params, action, lifecycle_gate, on_event
from autoscaler.emulator._state import ActivityRecord, Event, HookRecord, LifecycleActionRecord
from autoscaler.emulator.notifications import check_target, send
from autoscaler.ess import ess_error
from autoscaler.ess.wire import format_timestamp

__all__ = ["MAX_HEARTBEATS", "MAX_WAIT", "pending_actions"]

MAX_HEARTBEATS = 20
"""RecordLifecycleActionHeartbeat: "the length of time for each wait state can be extended up to 20 times"."""
MAX_WAIT = timedelta(hours=6)
"""An instance is kept in the wait state for no longer than six hours."""

_TIMEOUT = "hook.timeout"
_NAME = re.compile(r"^[0-9A-Za-z\u4e00-\u9fa5_.\-]{2,40}$")
_TRANSITIONS = ("SCALE_OUT", "SCALE_IN")
_RESULTS = ("CONTINUE", "ABANDON")


def _invalid(ctx: Ctx) -> Exception:
    return error("InvalidParamter", ctx.action, source="CreateLifecycleHook")


def _choice(ctx: Ctx, p: Params, name: str, allowed: tuple[str, ...]) -> str | None:
    value = p.get(name)
    if value is not None and value not in allowed:
        raise _invalid(ctx)
    return value


def _timeout(ctx: Ctx, p: Params) -> int | None:
    value = p.opt_int("HeartbeatTimeout")
    if value is not None and not 30 <= value <= 21600:
        raise _invalid(ctx)
    return value


def _metadata(ctx: Ctx, p: Params) -> str | None:
    value = p.get("NotificationMetadata")
    if value is not None and len(value) > 128:
        raise _invalid(ctx)
    return value


def _find(ctx: Ctx, p: Params) -> HookRecord:
    """The hook named by LifecycleHookId, else by ScalingGroupId plus LifecycleHookName."""
    hook_id = p.get("LifecycleHookId")
    if hook_id is not None:
        hook = ctx.state.hooks.get(hook_id)
        if hook is None:
            raise error("InvalidLifecycleHookId.NotExist", ctx.action, source="ModifyLifecycleHook")
        return hook
    if p.get("ScalingGroupId") is None:
        raise ess_error("MissingParameter", name="LifecycleHookId")
    group = find_group(ctx, p)
    name = p.req("LifecycleHookName")
    for found_id in ctx.state.group_hooks.get(group.id, {}):
        if ctx.state.hooks[found_id].name == name:
            return ctx.state.hooks[found_id]
    raise error("InvalidLifecycleHookName.NotExist", ctx.action, source="ModifyLifecycleHook")


# --------------------------------------------------------------------------- actions


@action("CreateLifecycleHook")
def create_lifecycle_hook(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group = find_group(ctx, p)
    name = p.get("LifecycleHookName")
    if name is not None and not _NAME.match(name):
        raise _invalid(ctx)
    transition = _choice(ctx, p, "LifecycleTransition", _TRANSITIONS)
    timeout = _timeout(ctx, p)
    default = _choice(ctx, p, "DefaultResult", _RESULTS)
    arn = p.get("NotificationArn")
    if arn is not None:
        check_target(ctx, group, arn, cloudmonitor=False, source="CreateLifecycleHook")
    metadata = _metadata(ctx, p)
    hook_ids = state.group_hooks.get(group.id, {})
    if name is not None and any(state.hooks[h].name == name for h in hook_ids):
        raise error("InvalidLifecycleHookName.Duplicate", ctx.action)
    if len(hook_ids) >= ctx.settings.max_hooks_per_group:
        raise error("QuotaExceeded.LifecycleHook", ctx.action)
    hook_id = state.new_id("ash")
    state.hooks[hook_id] = HookRecord(
        id=hook_id, group_id=group.id, name=name or hook_id, transition=transition or "SCALE_OUT",
        heartbeat_timeout=600 if timeout is None else timeout, default_result=default or "CONTINUE",
        notification_arn=arn, notification_metadata=metadata, seq=state.next_seq(),
    )
    state.index(state.group_hooks, group.id)[hook_id] = None
    state.touch("hook", hook_id)
    return {"LifecycleHookId": hook_id}


@action("ModifyLifecycleHook")
def modify_lifecycle_hook(ctx: Ctx, p: Params) -> dict[str, Any]:
    hook = _find(ctx, p)
    transition = _choice(ctx, p, "LifecycleTransition", _TRANSITIONS)
    timeout = _timeout(ctx, p)
    default = _choice(ctx, p, "DefaultResult", _RESULTS)
    arn = p.get("NotificationArn")
    if arn is not None:
        check_target(ctx, ctx.state.groups[hook.group_id], arn, cloudmonitor=False, source="CreateLifecycleHook")
    metadata = _metadata(ctx, p)
    hook.transition = transition or hook.transition
    hook.heartbeat_timeout = hook.heartbeat_timeout if timeout is None else timeout
    hook.default_result = default or hook.default_result
    hook.notification_arn = arn or hook.notification_arn
    hook.notification_metadata = metadata if metadata is not None else hook.notification_metadata
    ctx.state.touch("hook", hook.id)
    return {}


def _to_wire(hook: HookRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ScalingGroupId": hook.group_id, "LifecycleHookId": hook.id, "LifecycleHookName": hook.name,
        "DefaultResult": hook.default_result, "HeartbeatTimeout": hook.heartbeat_timeout,
        "LifecycleTransition": hook.transition,
    }
    if hook.notification_arn is not None:
        item["NotificationArn"] = hook.notification_arn
    if hook.notification_metadata is not None:
        item["NotificationMetadata"] = hook.notification_metadata
    return item


@action("DescribeLifecycleHooks")
def describe_lifecycle_hooks(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    ids = p.items("LifecycleHookId", max_items=50)
    if ids:
        hooks = [state.hooks[i] for i in dict.fromkeys(ids) if i in state.hooks]
    else:
        group_id, name = p.get("ScalingGroupId"), p.get("LifecycleHookName")
        hooks = sorted(state.hooks.values(), key=lambda h: h.seq)
        hooks = [h for h in hooks if (group_id is None or h.group_id == group_id) and (name is None or h.name == name)]
    shown, paging = page(p, hooks, default_size=50)
    return {**paging, "LifecycleHooks": {"LifecycleHook": [_to_wire(h) for h in shown]}}


@action("DeleteLifecycleHook")
def delete_lifecycle_hook(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    hook = _find(ctx, p)
    for record in [a for a in state.lifecycle_actions.values() if a.hook_id == hook.id]:
        _end(ctx, record, "CONTINUE")
    del state.hooks[hook.id]
    state.group_hooks.get(hook.group_id, {}).pop(hook.id, None)
    state.touch("hook", hook.id)
    return {}


def _in_progress(ctx: Ctx, p: Params) -> LifecycleActionRecord:
    hook_id, token = p.req("LifecycleHookId"), p.req("LifecycleActionToken")
    record = ctx.state.lifecycle_actions.get(token)
    if record is None or record.hook_id != hook_id or record.result is not None:
        raise error("LifecycleHookIdAndLifecycleActionToken.Invalid", ctx.action)
    return record


@action("RecordLifecycleActionHeartbeat")
def record_lifecycle_action_heartbeat(ctx: Ctx, p: Params) -> dict[str, Any]:
    timeout = _timeout(ctx, p)
    record = _in_progress(ctx, p)
    if record.heartbeats >= MAX_HEARTBEATS:
        raise error("LifecycleAction.RecordTimesExceeded", ctx.action)
    hook = ctx.state.hooks[record.hook_id]
    deadline = ctx.now + timedelta(seconds=hook.heartbeat_timeout if timeout is None else timeout)
    if deadline - record.started > MAX_WAIT:
        raise error("LifecycleAction.TimeExceeded", ctx.action)
    record.heartbeats += 1
    record.deadline = deadline
    ctx.state.touch("lifecycle_action", record.token)
    _queue_timeout(ctx, record)
    return {}


@action("CompleteLifecycleAction")
def complete_lifecycle_action(ctx: Ctx, p: Params) -> dict[str, Any]:
    result = _choice(ctx, p, "LifecycleActionResult", _RESULTS) or "CONTINUE"
    _end(ctx, _in_progress(ctx, p), result)
    return {}


# --------------------------------------------------------------------------- wait states


def pending_actions(ctx: Ctx, instance_id: str) -> list[LifecycleActionRecord]:
    """The in-progress lifecycle actions holding ``instance_id``, oldest first."""
    found = [a for a in ctx.state.lifecycle_actions.values() if a.instance_id == instance_id]
    return sorted(found, key=lambda a: (a.started, a.token))


def _queue_timeout(ctx: Ctx, record: LifecycleActionRecord) -> None:
    payload = {"token": record.token, "deadline": record.deadline.isoformat()}
    ctx.state.schedule(record.deadline, _TIMEOUT, payload)


def _end(ctx: Ctx, record: LifecycleActionRecord, result: str) -> None:
    state = ctx.state
    state.lifecycle_actions.pop(record.token, None)
    state.touch("lifecycle_action", record.token)
    others = [a for a in pending_actions(ctx, record.instance_id) if a.activity_id == record.activity_id]
    if record.transition == "SCALE_IN" and result == "ABANDON":
        for other in others:
            state.lifecycle_actions.pop(other.token, None)
            state.touch("lifecycle_action", other.token)
        others = []
    if not others:
        activities.release_from_wait(ctx, record.instance_id, result)


@lifecycle_gate
def _gate(ctx: Ctx, activity: ActivityRecord, instance_ids: list[str], transition: str) -> set[str]:
    state = ctx.state
    hooks = [state.hooks[h] for h in state.group_hooks.get(activity.group_id, {})]
    hooks = [h for h in hooks if h.transition == transition]
    if not hooks or not instance_ids:
        return set()
    for instance_id in instance_ids:
        for hook in hooks:
            record = LifecycleActionRecord(
                token=state.new_id("lat"), hook_id=hook.id, group_id=activity.group_id, instance_id=instance_id,
                activity_id=activity.id, transition=transition, started=ctx.now,
                deadline=ctx.now + timedelta(seconds=hook.heartbeat_timeout),
            )
            state.lifecycle_actions[record.token] = record
            state.touch("lifecycle_action", record.token)
            _queue_timeout(ctx, record)
            if hook.notification_arn is not None:
                send(ctx, group_id=activity.group_id, arn=hook.notification_arn, kind=f"LIFECYCLE:{transition}", body={
                    "LifecycleHookId": hook.id, "LifecycleHookName": hook.name, "LifecycleActionToken": record.token,
                    "LifecycleTransition": transition, "InstanceId": instance_id, "ScalingGroupId": activity.group_id,
                    "ScalingActivityId": activity.id, "DefaultResult": hook.default_result,
                    "NotificationMetadata": hook.notification_metadata or "", "Time": format_timestamp(ctx.now),
                })
    return set(instance_ids)


@on_event(_TIMEOUT)
def _on_timeout(ctx: Ctx, event: Event) -> None:
    record = ctx.state.lifecycle_actions.get(event.payload.get("token", ""))
    if record is None or record.deadline.isoformat() != event.payload.get("deadline"):
        return  # completed, or a heartbeat moved the deadline
    hook = ctx.state.hooks.get(record.hook_id)
    _end(ctx, record, hook.default_result if hook is not None else "CONTINUE")
