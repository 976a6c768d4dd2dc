"""The ECS side the product needs (API 2014-05-26): instances, system events, redeploys.

The controller takes care of instances that receive a maintenance system event:
EnterStandby, ECS ``RedeployInstance``, wait for the task, ExitStandby. This module
emulates exactly that much of ECS, on the same event queue as the ESS families:

- **Instances** (``EcsInstanceRecord``) are created by scaling activities, or by
  :func:`admin_create_instances` for a test that attaches existing instances.
  ``DescribeInstances`` reads them.
- **System events** (``SystemEventRecord``) are injected with
  :func:`admin_inject_system_event`: ``SystemMaintenance.Reboot`` and
  ``SystemMaintenance.Redeploy`` start ``Scheduled`` with a NotBefore time;
  ``SystemFailure.Reboot`` starts ``Executing``. A scheduled event still pending at
  NotBefore is executed by the platform: the instance reboots (``Starting`` for
  ``REBOOT_SECONDS``) and the event ends ``Executed``. ``DescribeInstanceHistoryEvents``
  reads them.
- **RedeployInstance** (seed 004): the instance must be Running or Stopped, not
  security-locked, not on a dedicated host (``IncorrectInstanceStatus``), not expired
  (``InstanceExpiredOrInArrears``), with healthy disks (``DiskError``). A Running
  instance goes Stopping (``STOP_SECONDS``, or ``FORCE_STOP_SECONDS`` with ForceStop),
  then Starting on the new host (``MIGRATE_SECONDS``), then Running: the task ends
  ``Finished``. The instance's pending maintenance events end ``Avoided`` and an
  executing failure event ``Executed``. A failure set with :func:`admin_set_instance`
  (``fail_next_redeploy``) ends the task ``Failed`` and puts the instance back in its
  prior state, as documented. ``DescribeTasks`` reads the tasks.

Admin functions take the service and JSON-typed keywords (the ``/_emulator/ecs/<op>``
route calls them by name) and persist what they change.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from autoscaler.emulator._common import create_ecs_instance, error, page
from autoscaler.emulator._registry import Ctx, Params, action, on_event
from autoscaler.emulator._state import EcsInstanceRecord, EcsTaskRecord, Event, State, SystemEventRecord
from autoscaler.ess import ess_error
from autoscaler.ess.wire import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from autoscaler.emulator.service import EssService

__all__ = [
    "EVENT_CODES",
    "FORCE_STOP_SECONDS",
    "MIGRATE_SECONDS",
    "REBOOT_SECONDS",
    "STOP_SECONDS",
    "admin_create_instances",
    "admin_inject_system_event",
    "admin_set_instance",
]

STOP_SECONDS = 30
"""A graceful stop of a Running instance (the OS shuts down)."""
FORCE_STOP_SECONDS = 5
"""ForceStop=true "is like pulling the power": almost immediate."""
MIGRATE_SECONDS = 90
"""Start on the new physical server until Running again."""
REBOOT_SECONDS = 60
"""A platform-executed maintenance reboot or redeploy: the instance is Starting meanwhile."""

EVENT_CODES = {
    "SystemMaintenance.Reboot": "Scheduled",
    "SystemMaintenance.Redeploy": "Scheduled",
    "SystemFailure.Reboot": "Executing",
}
"""The system events RedeployInstance responds to, with the state it responds in."""

_REDEPLOY = "ecs.redeploy"
_EVENT_DUE = "ecs.system_event"
_FLAGS = ("fail_next_redeploy", "lock_reason", "expired", "disk_error", "dedicated_host")


def _instance(ctx: Ctx, instance_id: str) -> EcsInstanceRecord:
    record = ctx.state.ecs_instances.get(instance_id)
    if record is None or record.region != ctx.settings.region:
        raise error("InvalidInstanceId.NotFound", ctx.action, name=instance_id, source="AttachInstances")
    return record


def _redeploy_checks(ctx: Ctx, ecs: EcsInstanceRecord) -> None:
    flags = ecs.attributes
    if ecs.status not in ("Running", "Stopped") or flags.get("lock_reason") == "security" or flags.get(
            "dedicated_host") == "true":
        raise error("IncorrectInstanceStatus", ctx.action)
    if flags.get("expired") == "true":
        raise error("InstanceExpiredOrInArrears", ctx.action)
    if flags.get("disk_error") == "true":
        raise error("DiskError", ctx.action)


@action("RedeployInstance")
def redeploy_instance(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    ecs = _instance(ctx, p.req("InstanceId"))
    force = p.opt_bool("ForceStop") or False
    _redeploy_checks(ctx, ecs)
    task = EcsTaskRecord(id=state.new_id("t"), action="RedeployInstance", instance_id=ecs.instance_id,
                         status="Processing", creation_time=ctx.now,
                         attributes={"prior_status": ecs.status, "force_stop": str(force).lower()})
    state.ecs_tasks[task.id] = task
    state.touch("ecs_task", task.id)
    running = ecs.status == "Running"
    ecs.status = "Stopping" if running else "Starting"
    state.touch("ecs_instance", ecs.instance_id)
    stop = (FORCE_STOP_SECONDS if force else STOP_SECONDS) if running else 0
    if running:
        state.schedule(ctx.now + timedelta(seconds=stop), _REDEPLOY, {"task": task.id, "phase": "stopped"})
    state.schedule(ctx.now + timedelta(seconds=stop + MIGRATE_SECONDS), _REDEPLOY, {"task": task.id, "phase": "done"})
    for event in _events_of(state, ecs.instance_id):
        if event.status in ("Scheduled", "Executing"):
            event.status = "Avoided" if event.status == "Scheduled" else "Executed"
            event.attributes["finish_time"] = format_timestamp(ctx.now)
            state.touch("system_event", event.id)
    return {"TaskId": task.id}


@on_event(_REDEPLOY)
def _on_redeploy(ctx: Ctx, event: Event) -> None:
    state = ctx.state
    task = state.ecs_tasks.get(event.payload.get("task", ""))
    if task is None or task.status != "Processing":
        return
    ecs = state.ecs_instances.get(task.instance_id)
    if ecs is None:
        task.status, task.finish_time = "Failed", ctx.now
    elif event.payload.get("phase") == "stopped":
        ecs.status = "Starting"
        state.touch("ecs_instance", ecs.instance_id)
    else:
        failed = ecs.attributes.pop("fail_next_redeploy", None) == "true"
        task.status = "Failed" if failed else "Finished"
        task.finish_time = ctx.now
        ecs.status = task.attributes.get("prior_status", "Running") if failed else "Running"
        state.touch("ecs_instance", ecs.instance_id)
    state.touch("ecs_task", task.id)


def _events_of(state: State, instance_id: str) -> list[SystemEventRecord]:
    found = [e for e in state.system_events.values() if e.instance_id == instance_id]
    return sorted(found, key=lambda e: (e.creation_time, e.id))


@on_event(_EVENT_DUE)
def _on_event_due(ctx: Ctx, event: Event) -> None:
    state = ctx.state
    record = state.system_events.get(event.payload.get("event", ""))
    if record is None:
        return
    ecs = state.ecs_instances.get(record.instance_id)
    if event.payload.get("phase") == "start" and record.status == "Scheduled":
        record.status = "Executing"
        if ecs is not None and ecs.status == "Running":
            ecs.status = "Starting"
            state.touch("ecs_instance", ecs.instance_id)
        state.schedule(ctx.now + timedelta(seconds=REBOOT_SECONDS), _EVENT_DUE, {"event": record.id, "phase": "end"})
    elif event.payload.get("phase") == "end" and record.status == "Executing":
        record.status = "Executed"
        record.attributes["finish_time"] = format_timestamp(ctx.now)
        if ecs is not None and ecs.status == "Starting":
            ecs.status = "Running"
            state.touch("ecs_instance", ecs.instance_id)
    state.touch("system_event", record.id)


# --------------------------------------------------------------------------- reads


def _task_ids(p: Params) -> list[str] | None:
    raw = p.get("TaskIds")
    if raw is None:
        return None
    if raw.lstrip().startswith("["):
        try:
            values = json.loads(raw)
        except ValueError:
            raise ess_error("InvalidParameter", name="TaskIds") from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ess_error("InvalidParameter", name="TaskIds")
    else:
        values = [v.strip() for v in raw.split(",") if v.strip()]
    if len(values) > 100:
        raise ess_error("InvalidParameter", name="TaskIds")
    return list(values)


@action("DescribeTasks")
def describe_tasks(ctx: Ctx, p: Params) -> dict[str, Any]:
    ids = _task_ids(p)
    kind, status = p.get("TaskAction"), p.get("TaskStatus")
    tasks = sorted(ctx.state.ecs_tasks.values(), key=lambda t: (t.creation_time, t.id))
    chosen = [t for t in tasks if (ids is None or t.id in ids) and (kind is None or t.action == kind)
              and (status is None or t.status == status)]
    shown, paging = page(p, chosen)
    items = [{
        "TaskId": t.id, "TaskAction": t.action, "TaskStatus": t.status, "SupportCancel": "false",
        "CreationTime": format_timestamp(t.creation_time),
        **({"FinishedTime": format_timestamp(t.finish_time)} if t.finish_time is not None else {}),
    } for t in shown]
    return {**paging, "RegionId": ctx.settings.region, "TaskSet": {"Task": items}}


@action("DescribeInstanceHistoryEvents")
def describe_instance_history_events(ctx: Ctx, p: Params) -> dict[str, Any]:
    instance_id = p.get("InstanceId")
    ids = set(p.items("EventId", max_items=100))
    types = set(p.items("InstanceEventType", max_items=30))
    cycles = set(p.items("InstanceEventCycleStatus", max_items=30))
    events = sorted(ctx.state.system_events.values(), key=lambda e: (e.creation_time, e.id))
    chosen = [e for e in events if (instance_id is None or e.instance_id == instance_id)
              and (not ids or e.id in ids) and (not types or e.code in types) and (not cycles or e.status in cycles)]
    shown, paging = page(p, chosen)
    items = [{
        "EventId": e.id, "InstanceId": e.instance_id, "EventType": {"Name": e.code},
        "EventCycleStatus": {"Name": e.status}, "EventPublishTime": format_timestamp(e.creation_time),
        "NotBefore": format_timestamp(e.not_before),
        **({"EventFinishTime": e.attributes["finish_time"]} if "finish_time" in e.attributes else {}),
    } for e in shown]
    return {**paging, "InstanceSystemEventSet": {"InstanceSystemEventType": items}}


@action("DescribeInstances")
def describe_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    raw = p.get("InstanceIds")
    wanted: set[str] | None = None
    if raw is not None:
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ess_error("InvalidParameter", name="InstanceIds") from None
        if not isinstance(parsed, list) or len(parsed) > 100 or not all(isinstance(v, str) for v in parsed):
            raise ess_error("InvalidParameter", name="InstanceIds")
        wanted = set(parsed)
    records = sorted(ctx.state.ecs_instances.values(), key=lambda r: (r.creation_time, r.instance_id))
    chosen = [r for r in records if r.region == ctx.settings.region and (wanted is None or r.instance_id in wanted)]
    shown, paging = page(p, chosen)
    items = [{
        "InstanceId": r.instance_id, "RegionId": r.region, "ZoneId": r.zone, "InstanceType": r.instance_type,
        "Status": r.status, "CreationTime": format_timestamp(r.creation_time),
        "InstanceNetworkType": r.network_type, "StoppedMode": r.stopped_mode or "Not-applicable",
        "OperationLocks": {"LockReason": [{"LockReason": r.attributes["lock_reason"]}]
                           if "lock_reason" in r.attributes else []},
    } for r in shown]
    return {**paging, "Instances": {"Instance": items}}


# --------------------------------------------------------------------------- admin


def _commit(service: EssService) -> None:
    # advance() applies what is due and writes the touched records through the store.
    service.advance(service.clock.now())


def _admin_ctx(service: EssService) -> Ctx:
    return Ctx(service.state, service.settings, service.clock.now(), "admin")


def _when(value: Any, now: datetime, field: str) -> datetime:
    """Seconds from now (a number) or a ``YYYY-MM-DDThh:mm[:ss]Z`` time."""
    if isinstance(value, bool):
        raise ess_error("InvalidParameter", name=field)
    if isinstance(value, int | float):
        return now + timedelta(seconds=float(value))
    if isinstance(value, str):
        try:
            return parse_timestamp(value, field=field)
        except ValueError:
            raise ess_error("InvalidParameter", name=field) from None
    raise ess_error("InvalidParameter", name=field)


def admin_create_instances(service: EssService, *, count: int = 1, zone: str | None = None,
                           instance_type: str = "ecs.g6.large", status: str = "Running",
                           vswitch_id: str | None = None) -> dict[str, Any]:
    """Create ``count`` ECS instances outside any group (to attach them later)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        raise ess_error("InvalidParameter", name="count")
    if status not in ("Running", "Stopped"):
        raise ess_error("InvalidParameter", name="status")
    chosen_zone = zone or service.settings.zones[0]
    if chosen_zone not in service.settings.zones:
        raise ess_error("InvalidParameter", name="zone")
    ids = [create_ecs_instance(service.state, region=service.settings.region, zone=chosen_zone,
                               instance_type=str(instance_type), now=service.clock.now(), status=status,
                               vswitch_id=vswitch_id).instance_id for _ in range(count)]
    _commit(service)
    return {"InstanceIds": ids}


def admin_inject_system_event(service: EssService, *, instance_id: str, code: str,
                              not_before: Any = 86400) -> dict[str, Any]:
    """Publish a system event on an instance; ``not_before``: seconds from now or a time."""
    ctx = _admin_ctx(service)
    if code not in EVENT_CODES:
        raise ess_error("InvalidParameter", name="code")
    ecs = _instance(ctx, str(instance_id))
    when = _when(not_before, ctx.now, "not_before")
    status = EVENT_CODES[code]
    record = SystemEventRecord(id=ctx.state.new_id("e"), instance_id=ecs.instance_id, code=code, status=status,
                               not_before=when if status == "Scheduled" else ctx.now, creation_time=ctx.now)
    ctx.state.system_events[record.id] = record
    ctx.state.touch("system_event", record.id)
    if status == "Scheduled":
        ctx.state.schedule(max(when, ctx.now), _EVENT_DUE, {"event": record.id, "phase": "start"})
    _commit(service)
    return {"EventId": record.id, "Status": status, "NotBefore": format_timestamp(record.not_before)}


def admin_set_instance(service: EssService, *, instance_id: str, **flags: Any) -> dict[str, Any]:
    """Set failure and state flags of an instance: ``fail_next_redeploy``, ``expired``,
    ``disk_error``, ``dedicated_host`` (booleans) and ``lock_reason`` (a string, e.g. "security")."""
    ctx = _admin_ctx(service)
    ecs = _instance(ctx, str(instance_id))
    for name, value in flags.items():
        if name not in _FLAGS:
            raise ess_error("InvalidParameter", name=name)
        if name == "lock_reason":
            if value is None:
                ecs.attributes.pop(name, None)
            elif isinstance(value, str):
                ecs.attributes[name] = value
            else:
                raise ess_error("InvalidParameter", name=name)
        elif isinstance(value, bool):
            if value:
                ecs.attributes[name] = "true"
            else:
                ecs.attributes.pop(name, None)
        else:
            raise ess_error("InvalidParameter", name=name)
    ctx.state.touch("ecs_instance", ecs.instance_id)
    _commit(service)
    return {"InstanceId": ecs.instance_id, "Flags": dict(ecs.attributes)}
