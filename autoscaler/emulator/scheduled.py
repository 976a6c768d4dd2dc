"""Scheduled tasks: Create/Modify/Delete/DescribeScheduledTasks, and their firing.

A task's :class:`~autoscaler.ess.recurrence.Schedule` gives its next fire time; that
time is queued as a ``scheduled.fire`` event, so a replay jumps from firing to
firing without polling. When an occurrence fires, the task executes its rule
through :func:`autoscaler.emulator.execute.execute_rule` (the same code as
ExecuteScalingRule, cause "A scheduled task executes scaling rule ..."), and:

- if the group is busy (``ScalingActivityInProgress``) or disabled
  (``IncorrectScalingGroupStatus``), the occurrence is retried within its
  LaunchExpirationTime: every ``RETRY_SECONDS`` and at once when an activity of the
  group ends (a ``scheduled.wake`` event queued by the activity-end notification);
  past the window the occurrence is abandoned, as documented;
- when several occurrences are due for one group, the earliest (fire time, then
  creation order) executes first, the others keep retrying (documented);
- any other refusal (``IncorrectCapacity.NoChange``, a quota, a deleted rule) spends
  the occurrence: only "busy or disabled" is retried, as documented;
- the cooldown does not hold a scheduled task back: the reference says the cooldown
  "only applies to activities triggered by CloudMonitor alarm tasks"; the activity a
  task starts still sets the group's cooldown when it ends (the rule's Cooldown,
  else DefaultCooldown).

Choices where the reference is silent (docs/emulator-fidelity.md): a ScheduledAction
that names no rule is ``InvalidScalingRuleAri.NotFound`` (ExecuteScalingRule's code);
a LaunchTime already past still fires when it is within LaunchExpirationTime of
"now"; the 20-task quota counts every task of the account in the region; filters of
DescribeScheduledTasks combine across kinds (AND) and within a kind (OR).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from autoscaler.emulator._common import error, page, validate_name
from autoscaler.emulator._registry import Ctx, Params, action, on_event, on_notification
from autoscaler.emulator._state import ActivityRecord, Event, RuleRecord, ScheduledTaskRecord, State
from autoscaler.emulator.execute import execute_rule, find_rule_by_ari
from autoscaler.ess import EssError, ess_error
from autoscaler.ess.recurrence import (
    RecurrenceType,
    Schedule,
    format_wire_minute,
    launch_expiration_from_request,
    schedule_from_request,
)
from autoscaler.ess.wire import format_timestamp

__all__ = ["RETRY_SECONDS", "schedule_of"]

RETRY_SECONDS = 10
"""How often a busy or disabled trigger is retried inside its LaunchExpirationTime.
An activity end wakes retrying tasks at once, so this only bounds how late a task
notices that its group was enabled again."""

_FIRE = "scheduled.fire"
_WAKE = "scheduled.wake"
_RETRYABLE = frozenset({"ScalingActivityInProgress", "IncorrectScalingGroupStatus"})
_ARI = re.compile(r"^ari:acs:ess:([a-z0-9-]+):([0-9]+):scaling[rR]ule/([A-Za-z0-9._-]+)$")
_EPSILON = timedelta(microseconds=1)


def schedule_of(task: ScheduledTaskRecord) -> Schedule:
    """The task's schedule as a value object (records hold it as plain fields)."""
    kind = None if task.recurrence_type is None else RecurrenceType(task.recurrence_type)
    return Schedule(launch_time=task.launch_time, recurrence_type=kind,
                    recurrence_value=task.recurrence_value, recurrence_end_time=task.recurrence_end_time)


# --------------------------------------------------------------------------- validation


def _check_action(ctx: Ctx, ari: str) -> RuleRecord:
    match = _ARI.match(ari)
    if match is None:
        raise ess_error("InvalidParameter", name="ScheduledAction")
    if match.group(1) != ctx.settings.region:
        raise error("ScheduledAction.RegionMismatch", ctx.action, source="CreateScheduledTask")
    rule = find_rule_by_ari(ctx, ari)
    if rule is None:
        raise error("InvalidScalingRuleAri.NotFound", ctx.action, source="ExecuteScalingRule")
    return rule


def _check_description(p: Params) -> str | None:
    text = p.get("Description")
    if text is not None and not 2 <= len(text) <= 200:
        raise ess_error("InvalidParameter", name="Description")
    return text


def _check_unique_name(ctx: Ctx, name: str | None, own_id: str | None) -> None:
    if name is None:
        return
    for task in ctx.state.scheduled_tasks.values():
        if task.name == name and task.id != own_id:
            raise error("InvalidScheduledTaskName.Duplicate", ctx.action, source="CreateScheduledTask")


def _expiration(ctx: Ctx, p: Params) -> int | None:
    raw = p.get("LaunchExpirationTime")
    return None if raw is None else launch_expiration_from_request(raw.strip(), action=ctx.action)


# --------------------------------------------------------------------------- actions


@action("CreateScheduledTask")
def create_scheduled_task(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    name = validate_name(p, "ScheduledTaskName")
    description = _check_description(p)
    schedule = schedule_from_request(
        launch_time=p.req("LaunchTime"), recurrence_type=p.get("RecurrenceType"),
        recurrence_value=p.get("RecurrenceValue"), recurrence_end_time=p.get("RecurrenceEndTime"),
        now=ctx.now, action=ctx.action,
    )
    expiration = _expiration(ctx, p)
    enabled = p.opt_bool("TaskEnabled")
    ari = p.req("ScheduledAction")
    _check_action(ctx, ari)
    _check_unique_name(ctx, name, None)
    if len(state.scheduled_tasks) >= ctx.settings.max_scheduled_tasks:
        raise error("QuotaExceeded.ScheduledTask", ctx.action)
    task_id = state.new_id("sst")
    task = ScheduledTaskRecord(
        id=task_id, name=name or task_id, region=ctx.settings.region, scheduled_action=ari,
        launch_time=schedule.launch_time, creation_time=ctx.now, description=description,
        launch_expiration_time=600 if expiration is None else expiration,
        recurrence_type=None if schedule.recurrence_type is None else schedule.recurrence_type.value,
        recurrence_value=schedule.recurrence_value, recurrence_end_time=schedule.recurrence_end_time,
        task_enabled=True if enabled is None else enabled, seq=state.next_seq(),
    )
    state.scheduled_tasks[task_id] = task
    _plan(ctx, task, _lookback(ctx, task))
    return {"ScheduledTaskId": task_id}


def _find(ctx: Ctx, p: Params) -> ScheduledTaskRecord:
    task = ctx.state.scheduled_tasks.get(p.req("ScheduledTaskId"))
    if task is None:
        raise error("InvalidScheduledTaskId.NotFound", ctx.action, source="DeleteScheduledTask")
    return task


def _merged_schedule(ctx: Ctx, p: Params, task: ScheduledTaskRecord) -> Schedule:
    """The schedule after a modification: given fields replace stored ones; the three
    recurrence fields must then be set together (the reference)."""
    end = task.recurrence_end_time
    return schedule_from_request(
        launch_time=p.get("LaunchTime") or format_wire_minute(task.launch_time),
        recurrence_type=p.get("RecurrenceType") or task.recurrence_type,
        recurrence_value=p.get("RecurrenceValue") or task.recurrence_value,
        recurrence_end_time=p.get("RecurrenceEndTime") or (None if end is None else format_wire_minute(end)),
        now=ctx.now, action=ctx.action,
    )


@action("ModifyScheduledTask")
def modify_scheduled_task(ctx: Ctx, p: Params) -> dict[str, Any]:
    task = _find(ctx, p)
    name = validate_name(p, "ScheduledTaskName")
    description = _check_description(p)
    schedule = _merged_schedule(ctx, p, task)
    expiration = _expiration(ctx, p)
    enabled = p.opt_bool("TaskEnabled")
    ari = p.get("ScheduledAction")
    if ari is not None:
        _check_action(ctx, ari)
    _check_unique_name(ctx, name, task.id)
    task.name = name or task.name
    task.description = description if description is not None else task.description
    task.scheduled_action = ari or task.scheduled_action
    task.launch_time = schedule.launch_time
    task.recurrence_type = None if schedule.recurrence_type is None else schedule.recurrence_type.value
    task.recurrence_value = schedule.recurrence_value
    task.recurrence_end_time = schedule.recurrence_end_time
    task.launch_expiration_time = task.launch_expiration_time if expiration is None else expiration
    task.task_enabled = task.task_enabled if enabled is None else enabled
    _cancel_events(ctx.state, task.id)
    _plan(ctx, task, _lookback(ctx, task))
    return {}


@action("DeleteScheduledTask")
def delete_scheduled_task(ctx: Ctx, p: Params) -> dict[str, Any]:
    task = _find(ctx, p)
    _cancel_events(ctx.state, task.id)
    del ctx.state.scheduled_tasks[task.id]
    ctx.state.touch("scheduled_task", task.id)
    return {}


def _to_wire(task: ScheduledTaskRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ScheduledTaskId": task.id,
        "ScheduledTaskName": task.name,
        "ScheduledAction": task.scheduled_action,
        "LaunchExpirationTime": task.launch_expiration_time,
        "TaskEnabled": task.task_enabled,
    }
    if task.description is not None:
        item["Description"] = task.description
    item.update(schedule_of(task).to_wire())
    return item


@action("DescribeScheduledTasks")
def describe_scheduled_tasks(ctx: Ctx, p: Params) -> dict[str, Any]:
    ids = set(p.items("ScheduledTaskId", max_items=20))
    names = set(p.items("ScheduledTaskName", max_items=20))
    aris = set(p.items("ScheduledAction", max_items=20))
    tasks = sorted(ctx.state.scheduled_tasks.values(), key=lambda t: t.seq)
    chosen = [
        t for t in tasks
        if (not ids or t.id in ids) and (not names or t.name in names) and (not aris or t.scheduled_action in aris)
    ]
    shown, paging = page(p, chosen)
    return {**paging, "ScheduledTasks": {"ScheduledTask": [_to_wire(t) for t in shown]}}


# --------------------------------------------------------------------------- firing


def _lookback(ctx: Ctx, task: ScheduledTaskRecord) -> datetime:
    """Occurrences still inside their LaunchExpirationTime count as due now."""
    return ctx.now - timedelta(seconds=task.launch_expiration_time) - _EPSILON


def _plan(ctx: Ctx, task: ScheduledTaskRecord, after: datetime) -> None:
    """Set the task's next occurrence strictly after ``after`` and queue its firing."""
    task.retry_until = None
    task.next_fire = schedule_of(task).next_after(after) if task.task_enabled else None
    if task.next_fire is not None:
        ctx.state.schedule(task.next_fire, _FIRE, {"task": task.id, "at": format_timestamp(task.next_fire)})
    ctx.state.touch("scheduled_task", task.id)


def _cancel_events(state: State, task_id: str) -> None:
    for event in list(state.events):
        if event.kind == _FIRE and event.payload.get("task") == task_id and state.live_event(event.seq):
            state.cancel(event)


def _group_of(ctx: Ctx, task: ScheduledTaskRecord) -> str | None:
    rule = find_rule_by_ari(ctx, task.scheduled_action)
    return None if rule is None else rule.group_id


def _due_tasks(ctx: Ctx, group_id: str) -> list[ScheduledTaskRecord]:
    """Enabled tasks of ``group_id`` whose current occurrence is due, earliest first."""
    due = [
        t for t in ctx.state.scheduled_tasks.values()
        if t.task_enabled and t.next_fire is not None and t.next_fire <= ctx.now and _group_of(ctx, t) == group_id
    ]
    return sorted(due, key=lambda t: (t.next_fire or ctx.now, t.seq))


def _attempt(ctx: Ctx, task: ScheduledTaskRecord) -> bool:
    """Try the task's current occurrence; True when it is settled (ran, spent or expired)."""
    assert task.next_fire is not None
    deadline = task.next_fire + timedelta(seconds=task.launch_expiration_time)
    rule = find_rule_by_ari(ctx, task.scheduled_action)
    if ctx.now > deadline or rule is None:
        _plan(ctx, task, task.next_fire)
        return True
    try:
        execute_rule(ctx, rule, cause_prefix="A scheduled task executes")
    except EssError as exc:
        if exc.code in _RETRYABLE and ctx.now < deadline:
            task.retry_until = deadline
            ctx.state.touch("scheduled_task", task.id)
            return False
    _plan(ctx, task, max(task.next_fire, _lookback(ctx, task)))
    return True


def _run_group(ctx: Ctx, group_id: str) -> None:
    for task in _due_tasks(ctx, group_id):
        _attempt(ctx, task)


@on_event(_FIRE)
def _on_fire(ctx: Ctx, event: Event) -> None:
    task = ctx.state.scheduled_tasks.get(event.payload.get("task", ""))
    if task is None or not task.task_enabled or task.next_fire is None:
        return
    if format_timestamp(task.next_fire) != event.payload.get("at"):
        return  # a stale firing: the task was modified or already ran this occurrence
    group_id = _group_of(ctx, task)
    if group_id is None:
        _plan(ctx, task, task.next_fire)
        return
    _run_group(ctx, group_id)
    if task.retry_until is not None and task.next_fire is not None:
        retry_at = min(ctx.now + timedelta(seconds=RETRY_SECONDS), task.retry_until)
        ctx.state.schedule(retry_at, _FIRE, {"task": task.id, "at": format_timestamp(task.next_fire)})


@on_event(_WAKE)
def _on_wake(ctx: Ctx, event: Event) -> None:
    _run_group(ctx, event.payload.get("group", ""))


@on_notification
def _on_activity_end(ctx: Ctx, group_id: str, notification_type: str, activity: ActivityRecord) -> None:
    if not notification_type.endswith(("_SUCCESS", "_ERROR")):
        return
    if any(t.retry_until is not None for t in ctx.state.scheduled_tasks.values()):
        ctx.state.schedule(ctx.now, _WAKE, {"group": group_id})
