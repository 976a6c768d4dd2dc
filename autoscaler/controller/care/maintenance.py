"""Maintenance standby: drain, redeploy and bring back an instance that ECS will maintain.

When ECS schedules ``SystemMaintenance.Redeploy`` or ``SystemMaintenance.Reboot`` for
an instance of the group (or, if configured, reports an executing
``SystemFailure.Reboot``, which RedeployInstance answers on local-disk instance types
only), the flow is, one step per tick so that each step is journaled first (see
:mod:`autoscaler.controller.care_state`):

1. *waiting*: the instance still serves. It leaves serving only when a slot is free
   (at most ``max_concurrent`` instances in maintenance) and the other serving
   instances cover what the policies need. Until then the step reports a capacity
   floor (need + instances in maintenance), so the tick scales out first;
2. ``EnterStandby`` (load-balancer weight 0: no new requests);
3. next tick (one interval of draining): ECS ``RedeployInstance``, ``ForceStop`` only
   as configured. A forced stop is a power-off: data not yet written to disk is lost;
   on a local-disk instance a redeploy re-initialises the local disks (the reference's
   warning), which is why ``SystemFailure.Reboot`` is opt-in;
4. ``DescribeTasks`` until the task is Finished (then ``ExitStandby``) or Failed. A
   failed redeploy leaves the instance in standby (ECS put it back on its old host,
   an operator decides), counts in ``autoscaler_maintenance_failures_total`` and keeps
   its slot and its floor until the instance leaves standby.

A restart resumes each flow from its journaled phase; EnterStandby and ExitStandby are
harmless to repeat, RedeployInstance is never sent twice (a flow whose task id was lost
between the call and its journal entry is reported failed rather than redeployed
again, unless the event shows the call never landed).

Shadow mode reads the events and reports what it would do, and the floor it would
need; it writes neither to ESS/ECS nor to the journal.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from autoscaler.controller.care._model import ActionResult, CareAction, CareApi, CareReport, CareView
from autoscaler.controller.care_state import CareStateStore, MaintenanceRecord, Phase
from autoscaler.ess import EssError

__all__ = ["MAINTENANCE_EVENTS", "Maintenance", "MaintenanceSettings", "pending_events"]

log = logging.getLogger("autoscaler.care")

MAINTENANCE_EVENTS = {"SystemMaintenance.Reboot": "Scheduled", "SystemMaintenance.Redeploy": "Scheduled"}
FAILURE_EVENTS = {"SystemFailure.Reboot": "Executing"}
_IN_STANDBY: frozenset[Phase] = frozenset({"entering", "standby", "redeploying", "exiting", "failed"})
_SLOT: frozenset[Phase] = _IN_STANDBY
_SERVING_STATES = ("InService", "Protected")


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceSettings:
    """How maintenance runs for one group (docs/instance-care.md)."""

    force_stop: bool = False
    max_concurrent: int = 1
    redeploy_on_system_failure: bool = False
    poll_interval: timedelta = timedelta(seconds=60)
    lookups: int = 8

    def __post_init__(self) -> None:
        if self.max_concurrent < 1:
            raise ValueError(f"max_concurrent: must be >= 1 (got {self.max_concurrent})")
        if self.poll_interval < timedelta(0):
            raise ValueError("poll_interval: must be >= 0")

    @property
    def handled(self) -> dict[str, str]:
        """Event code -> the cycle status in which RedeployInstance answers it."""
        return {**MAINTENANCE_EVENTS, **(FAILURE_EVENTS if self.redeploy_on_system_failure else {})}


def _event_name(event: dict[str, Any], key: str) -> str:
    value = event.get(key)
    if isinstance(value, dict):
        value = value.get("Name")
    return str(value or "")


def pending_events(events: list[dict[str, Any]], handled: dict[str, str]) -> list[tuple[str, str]]:
    """(event id, code) of the events a redeploy answers, in their answerable state."""
    out = []
    for event in events:
        code = _event_name(event, "EventType")
        if code in handled and _event_name(event, "EventCycleStatus") == handled[code] and event.get("EventId"):
            out.append((str(event["EventId"]), code))
    return out


class Maintenance:
    """The maintenance step of one group (a :class:`~._model.CareStep`)."""

    name = "maintenance"

    def __init__(self, settings: MaintenanceSettings, *, api: CareApi, store: CareStateStore, shadow: bool) -> None:
        self._settings = settings
        self._api = api
        self._store = store
        self._shadow = shadow
        self._imagined: dict[str, MaintenanceRecord] = {}  # shadow mode's journal, in memory only
        self._last_poll: datetime | None = None
        self._seen: dict[str, list[tuple[str, str]]] = {}  # shadow: what the last poll found

    async def apply(self, view: CareView, now: datetime) -> CareReport:
        actions: list[CareAction] = []
        failures: list[str] = []
        found = await self._poll(view, now)
        if found is not None:
            self._seen = found
        everything = list(self._imagined.values()) if self._shadow else self._store.records(view.group_id)
        records = [r for r in everything if r.active]
        known = {r.event_id for r in everything}
        need = view.serving_need
        for iid, events in sorted(self._seen.items()):
            for event_id, code in events:
                if event_id in known:
                    continue
                record = MaintenanceRecord(event_id=event_id, group_id=view.group_id, instance_id=iid,
                                           event_code=code, phase="waiting", need=max(0, need), detected_at=now,
                                           updated_at=now, reason=f"{code} scheduled")
                self._save(record)
                records.append(record)
                known.add(event_id)
                actions.append(self._act("detect", record, "executed", f"{code} ({event_id})"))
        records = await self._advance(view, records, now, actions, failures)
        return self._report(view, records, actions, failures)

    async def _poll(self, view: CareView, now: datetime) -> dict[str, list[tuple[str, str]]] | None:
        """The answerable events of the group's instances, at most every poll interval."""
        if self._last_poll is not None and now < self._last_poll + self._settings.poll_interval:
            return None
        self._last_poll = now
        ids = [i.instance_id for i in view.instances if i.lifecycle_state in (*_SERVING_STATES, "Standby")]
        gate = asyncio.Semaphore(self._settings.lookups)

        async def one(iid: str) -> tuple[str, list[tuple[str, str]]]:
            async with gate:
                try:
                    events = await self._api.describe_instance_history_events(instance_id=iid)
                except EssError as exc:
                    log.warning("group %s: DescribeInstanceHistoryEvents(%s) failed: %s", view.name, iid, exc.code)
                    return iid, []
            return iid, pending_events(events, self._settings.handled)

        return {iid: events for iid, events in await asyncio.gather(*(one(i) for i in ids)) if events}

    async def _advance(self, view: CareView, records: list[MaintenanceRecord], now: datetime,
                       actions: list[CareAction], failures: list[str]) -> list[MaintenanceRecord]:
        """Move every flow on by (at most) one step; returns the flows still active."""
        members = view.by_id()
        out: list[MaintenanceRecord] = []
        for record in records:
            inst = members.get(record.instance_id)
            if inst is None:
                record = self._move(record, "gone", now, reason="the instance left the group")
                actions.append(self._act("close", record, "executed", record.reason))
            elif record.phase == "waiting":
                record = await self._start(view, record, out, now, actions, failures)
            elif record.phase == "failed" and inst.lifecycle_state != "Standby":
                record = self._move(record, "gone", now, reason="an operator took the instance out of standby")
                actions.append(self._act("close", record, "executed", record.reason))
            elif record.phase in ("entering", "standby", "redeploying", "exiting"):
                record = await self._continue(view, record, inst.lifecycle_state or "", now, actions, failures)
            if record.active:
                out.append(record)
        return out

    async def _start(self, view: CareView, record: MaintenanceRecord, started: list[MaintenanceRecord],
                     now: datetime, actions: list[CareAction], failures: list[str]) -> MaintenanceRecord:
        """A waiting flow: enter standby if a slot is free and the others cover the need."""
        busy = sum(1 for r in started if r.phase in _SLOT)
        if busy >= self._settings.max_concurrent:
            actions.append(self._act("enter_standby", record, "waiting",
                                     f"{busy} of at most {self._settings.max_concurrent} in maintenance"))
            return record
        need = _need(view, [record])
        leaving = {r.instance_id for r in started if r.phase in _IN_STANDBY} | {record.instance_id}
        others = len(set(view.view.serving_ids) - leaving)
        if others < need:
            actions.append(self._act("enter_standby", record, "waiting",
                                     f"{others} others serve, the policies need {need}: scaling out first"))
            return record
        if self._shadow:
            actions.append(self._act("enter_standby", record, "shadow", f"{record.event_code}; then redeploy"))
            return self._move(record, "standby", now)
        record = self._move(record, "entering", now)
        return await self._enter(view, record, now, actions, failures)

    async def _enter(self, view: CareView, record: MaintenanceRecord, now: datetime, actions: list[CareAction],
                     failures: list[str]) -> MaintenanceRecord:
        try:
            await self._api.enter_standby(view.group_id, [record.instance_id])
        except EssError as exc:
            if exc.retryable:
                actions.append(self._act("enter_standby", record, "failed", f"{exc.code}: will retry"))
                return self._move(record, "waiting", now)
            failures.append("enter_standby")
            record = self._move(record, "gone", now, reason=f"EnterStandby failed: {exc.code}")
            actions.append(self._act("enter_standby", record, "failed", record.reason))
            return record
        record = self._move(record, "standby", now, reason=f"in standby for {record.event_code}")
        actions.append(self._act("enter_standby", record, "executed", record.reason))
        return record

    async def _continue(self, view: CareView, record: MaintenanceRecord, state: str, now: datetime,
                        actions: list[CareAction], failures: list[str]) -> MaintenanceRecord:
        if self._shadow:
            return record
        if record.phase == "entering":
            if state == "Standby":
                return self._move(record, "standby", now)
            return await self._enter(view, record, now, actions, failures)
        if record.phase == "standby":
            return await self._redeploy(record, now, actions, failures)
        if record.phase == "redeploying":
            if record.task_id is None:
                return await self._recover_task(record, now, actions, failures)
            return await self._follow(view, record, now, actions, failures)
        return await self._exit(view, record, state, now, actions, failures)

    async def _redeploy(self, record: MaintenanceRecord, now: datetime, actions: list[CareAction],
                        failures: list[str]) -> MaintenanceRecord:
        record = self._move(record, "redeploying", now)  # journaled before the call
        force = self._settings.force_stop
        try:
            task = await self._api.redeploy_instance(record.instance_id, force_stop=force)
        except EssError as exc:
            if exc.retryable:
                actions.append(self._act("redeploy", record, "failed", f"{exc.code}: will retry"))
                return self._move(record, "standby", now)
            failures.append("redeploy")
            record = self._move(record, "failed", now, reason=f"RedeployInstance failed: {exc.code}")
            log.error("group %s: instance %s stays in standby: %s", record.group_id, record.instance_id, record.reason)
            actions.append(self._act("redeploy", record, "failed", record.reason))
            return record
        record = self._move(record, "redeploying", now, task_id=task, reason=f"task {task}")
        actions.append(self._act("redeploy", record, "executed", f"task {task}, ForceStop={str(force).lower()}"))
        return record

    async def _recover_task(self, record: MaintenanceRecord, now: datetime, actions: list[CareAction],
                            failures: list[str]) -> MaintenanceRecord:
        """After a restart between RedeployInstance and its journal entry: never redeploy twice."""
        try:
            events = await self._api.describe_instance_history_events(event_ids=[record.event_id])
        except EssError as exc:
            actions.append(self._act("redeploy", record, "failed", f"{exc.code}: will retry"))
            return record
        if pending_events(events, self._settings.handled):
            # The event still waits for an answer: the call never landed.
            return await self._redeploy(record, now, actions, failures)
        failures.append("redeploy")
        record = self._move(record, "failed", now, reason=(
            "RedeployInstance was sent but its task id was lost in a restart; check the instance, then "
            "ExitStandby"))
        actions.append(self._act("redeploy", record, "failed", record.reason))
        return record

    async def _follow(self, view: CareView, record: MaintenanceRecord, now: datetime, actions: list[CareAction],
                      failures: list[str]) -> MaintenanceRecord:
        assert record.task_id is not None
        try:
            tasks = await self._api.describe_tasks([record.task_id], task_action="RedeployInstance")
        except EssError as exc:
            actions.append(self._act("follow", record, "failed", f"DescribeTasks: {exc.code}: will retry"))
            return record
        status = next((str(t.get("TaskStatus")) for t in tasks if t.get("TaskId") == record.task_id), "unknown")
        if status == "Finished":
            record = self._move(record, "exiting", now, reason=f"task {record.task_id} finished")
            return await self._exit(view, record, "Standby", now, actions, failures)
        if status == "Failed":
            failures.append("redeploy_task")
            record = self._move(record, "failed", now, reason=f"task {record.task_id} failed; left in standby")
            log.error("group %s: redeploy of %s failed: the instance stays in standby", record.group_id,
                      record.instance_id)
            actions.append(self._act("redeploy", record, "failed", record.reason))
            return record
        actions.append(self._act("follow", record, "waiting", f"task {record.task_id}: {status}"))
        return record

    async def _exit(self, view: CareView, record: MaintenanceRecord, state: str, now: datetime,
                    actions: list[CareAction], failures: list[str]) -> MaintenanceRecord:
        if state in _SERVING_STATES:  # already out of standby (a restart after the call)
            return self._move(record, "done", now, reason="redeployed and back in service")
        try:
            await self._api.exit_standby(view.group_id, [record.instance_id])
        except EssError as exc:
            if not exc.retryable:
                failures.append("exit_standby")
            actions.append(self._act("exit_standby", record, "failed", f"{exc.code}: will retry"))
            return record
        record = self._move(record, "done", now, reason="redeployed and back in service")
        actions.append(self._act("exit_standby", record, "executed", record.reason))
        return record

    def _report(self, view: CareView, records: list[MaintenanceRecord], actions: list[CareAction],
                failures: list[str]) -> CareReport:
        in_standby = sum(1 for r in records if r.phase in _IN_STANDBY)
        waiting = sum(1 for r in records if r.phase == "waiting")
        floor = keep = None
        if records:
            free = max(0, self._settings.max_concurrent - in_standby)
            floor = _need(view, records) + in_standby + min(waiting, free)
            keep = in_standby
        return CareReport(actions=tuple(actions), floor=floor, keep=keep, in_maintenance=in_standby,
                          failures=tuple(failures))

    def _move(self, record: MaintenanceRecord, phase: Phase, now: datetime, *, task_id: str | None = None,
              reason: str | None = None) -> MaintenanceRecord:
        moved = record.moved(phase, at=now, task_id=task_id, reason=reason)
        self._save(moved)
        return moved

    def _save(self, record: MaintenanceRecord) -> None:
        if self._shadow:
            self._imagined[record.event_id] = record
        else:
            self._store.save(record)

    def _act(self, action: str, record: MaintenanceRecord, result: ActionResult, reason: str) -> CareAction:
        text = f"{record.instance_id} {record.event_code} ({record.event_id}): {reason}"
        if result == "failed":
            log.warning("group %s: maintenance %s %s", record.group_id, action, text)
        elif result != "waiting":
            log.info("group %s: maintenance %s %s -> %s", record.group_id, action, text, result)
        return CareAction(step=self.name, action=action, instance_ids=(record.instance_id,), result=result,
                          reason=reason)


def _need(view: CareView, records: list[MaintenanceRecord]) -> int:
    """Serving capacity the policies need while these flows run.

    The need seen when each event was detected, raised only when the policies scale
    out now: a hold at a total that the maintenance floor itself raised is no new need
    (else the flow would wait for its own scale-out forever).
    """
    need = max((r.need for r in records), default=0)
    if view.scaling_out:
        need = max(need, view.serving_need)
    return need
