"""The emulator's mutable internal records, the ``State`` container and the event queue.

Everything the emulated ESS (and the bit of ECS it needs) knows lives in one
:class:`State`: plain ``slots`` dataclasses kept in dicts by id, with small
indexes by scaling group so that no action scans every instance of every group
(a benchmark holds 1,000 groups x 100 instances). Records are internal and
mutable; the frozen wire models of :mod:`autoscaler.ess.model` are built from
them at the edge (Describe* responses).

Conventions every resource-family module follows
------------------------------------------------

- **Ids** come from :meth:`State.new_id` (``asg-``, ``asc-``, ``asr-``, ``asa-``,
  ``i-``, ...): a monotonically increasing sequence, so a run is reproducible and a
  restarted service never reuses an id.
- **Writes** go through the dicts and then :meth:`State.touch` ``(kind, id)``; a
  deletion removes the record from its dict and touches it too. At the end of each
  mutating action the service writes every touched record (or deletes it when it
  is gone) to the store in one transaction, before the response is returned.
  ``kind`` is one of :data:`RECORD_KINDS`; a family adding a record class adds it
  there (one line) so that the store can persist and reload it.
- **Future changes** are events: :meth:`State.schedule` ``(due, kind, payload)``
  pushes ``(due, seq, kind, payload)`` on a heap; the service's ``advance(now)``
  pops the due ones in time order and calls the handler registered for ``kind``
  with :func:`autoscaler.emulator._registry.on_event`. Handlers must tolerate stale
  events (the instance was removed meanwhile): check the record and return. Events
  are never cancelled in place; they are ignored when they no longer apply, or
  dropped by :meth:`State.cancel`.
- **Registration**: a family module declares ``@action("Name")`` handlers and
  ``@on_event("kind")`` handlers (see :mod:`autoscaler.emulator._registry`) and is
  imported once by :mod:`autoscaler.emulator.service`.

Records do not validate (handlers validate the wire input before touching them);
they only hold data, which keeps them cheap: a 100,000-instance state is a few tens
of megabytes.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "RECORD_KINDS",
    "ActivityRecord",
    "ConfigurationRecord",
    "EcsInstanceRecord",
    "EcsTaskRecord",
    "Event",
    "GroupRecord",
    "HookRecord",
    "LifecycleActionRecord",
    "NotificationRecord",
    "OutboxRecord",
    "RuleRecord",
    "ScalingInstanceRecord",
    "ScheduledTaskRecord",
    "State",
    "SystemEventRecord",
    "TokenRecord",
]


@dataclass(slots=True)
class GroupRecord:
    """A scaling group. ``lifecycle_state`` is Active, Inactive or Deleting."""

    id: str
    name: str
    region: str
    min_size: int
    max_size: int
    default_cooldown: int
    removal_policies: list[str]
    creation_time: datetime
    lifecycle_state: str = "Inactive"
    active_configuration_id: str | None = None
    multi_az_policy: str = "PRIORITY"
    scaling_policy: str = "release"
    vswitch_id: str | None = None
    vswitch_ids: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    load_balancer_ids: list[str] = field(default_factory=list)
    db_instance_ids: list[str] = field(default_factory=list)
    vserver_groups: list[list[Any]] = field(default_factory=list)
    """``[load_balancer_id, vserver_group_id, port, weight]`` rows."""
    launch_template_id: str | None = None
    launch_template_version: str | None = None
    cooldown_until: datetime | None = None
    """End of the cooldown after the last activity (scheduled/alarm tasks honour it)."""
    current_activity_id: str | None = None
    """The activity in progress, if any: ESS runs one activity per group at a time."""
    rebalancing: bool = False


@dataclass(slots=True)
class ConfigurationRecord:
    """A scaling configuration. ``attributes`` keeps the remaining wire fields verbatim."""

    id: str
    group_id: str
    name: str
    instance_type: str
    security_group_id: str
    creation_time: datetime
    image_id: str | None = None
    instance_types: list[str] = field(default_factory=list)
    lifecycle_state: str = "Inactive"
    load_balancer_weight: int = 50
    attributes: dict[str, str] = field(default_factory=dict)
    seq: int = 0
    """Creation order; ``OldestScalingConfiguration`` compares it."""


@dataclass(slots=True)
class RuleRecord:
    """A simple scaling rule."""

    id: str
    group_id: str
    name: str
    ari: str
    adjustment_type: str
    adjustment_value: int
    cooldown: int | None = None
    min_adjustment_magnitude: int | None = None


@dataclass(slots=True)
class ScalingInstanceRecord:
    """An ECS instance as a member of a scaling group.

    ``lifecycle_state``: Pending, InService, Standby, Protected, Removing.
    ``creation_type``: AutoCreated or Attached. ``seq`` orders instances by the time
    they joined the group (OldestInstance / NewestInstance).
    """

    instance_id: str
    group_id: str
    zone: str
    creation_time: datetime
    creation_type: str
    seq: int
    configuration_id: str | None = None
    lifecycle_state: str = "Pending"
    health_status: str = "Healthy"
    load_balancer_weight: int = 50
    activity_id: str | None = None
    """The activity that is adding or removing this instance, if any."""
    in_hook_wait: bool = False
    remove_policy: str = "release"
    """What happens when an auto-created instance leaves: release, recycle, or keep (detach)."""


@dataclass(slots=True)
class ActivityRecord:
    """A scaling activity. ``status_code``: InProgress, Successful, Warning, Failed, Rejected."""

    id: str
    group_id: str
    kind: str
    """scale_out, scale_in, attach, detach, remove or rebalance."""
    cause: str
    description: str
    start_time: datetime
    status_code: str = "InProgress"
    status_message: str = ""
    progress: int = 0
    end_time: datetime | None = None
    total: int = 0
    done: int = 0
    failed: int = 0
    pending_ids: list[str] = field(default_factory=list)
    """Instances the activity still waits for."""
    removal_ids: list[str] = field(default_factory=list)
    """Rebalance: the old instances removed once the replacements are in service."""
    cooldown: int | None = None
    """Seconds of cooldown applied to the group when the activity ends (None: group default)."""
    capacity_from: int = 0
    capacity_to: int = 0
    seq: int = 0


@dataclass(slots=True)
class ScheduledTaskRecord:
    """A scheduled task (the scheduled-task family extends how it fires)."""

    id: str
    name: str
    region: str
    scheduled_action: str
    launch_time: datetime
    creation_time: datetime
    description: str | None = None
    launch_expiration_time: int = 600
    recurrence_type: str | None = None
    recurrence_value: str | None = None
    recurrence_end_time: datetime | None = None
    task_enabled: bool = True
    next_fire: datetime | None = None
    retry_until: datetime | None = None
    seq: int = 0


@dataclass(slots=True)
class HookRecord:
    """A lifecycle hook of a scaling group."""

    id: str
    group_id: str
    name: str
    transition: str
    heartbeat_timeout: int = 600
    default_result: str = "CONTINUE"
    notification_arn: str | None = None
    notification_metadata: str | None = None
    seq: int = 0


@dataclass(slots=True)
class LifecycleActionRecord:
    """One instance waiting in one hook's wait state; ``token`` is LifecycleActionToken."""

    token: str
    hook_id: str
    group_id: str
    instance_id: str
    activity_id: str
    transition: str
    started: datetime
    deadline: datetime
    heartbeats: int = 0
    result: str | None = None


@dataclass(slots=True)
class NotificationRecord:
    """A notification configuration; its id is ``"{group_id}|{arn}"``."""

    id: str
    group_id: str
    arn: str
    types: list[str] = field(default_factory=list)


@dataclass(slots=True)
class OutboxRecord:
    """A notification the emulator would have sent (MNS queue/topic or CloudMonitor); see ``notifications``."""

    id: str
    group_id: str
    arn: str | None
    type: str
    time: datetime
    body: dict[str, str] = field(default_factory=dict)
    seq: int = 0


@dataclass(slots=True)
class EcsInstanceRecord:
    """The ECS side of an instance. ``status``: Pending, Starting, Running, Stopping, Stopped."""

    instance_id: str
    region: str
    zone: str
    instance_type: str
    creation_time: datetime
    status: str = "Running"
    vpc_id: str | None = None
    vswitch_id: str | None = None
    network_type: str = "vpc"
    scaling_group_id: str | None = None
    created_by_ess: bool = False
    stopped_mode: str | None = None
    """``StopCharging`` once recycled by a ``recycle`` scale-in."""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SystemEventRecord:
    """An ECS system event (SystemMaintenance.Reboot, ...) on one instance."""

    id: str
    instance_id: str
    code: str
    status: str
    not_before: datetime
    creation_time: datetime
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class EcsTaskRecord:
    """An ECS asynchronous task (RedeployInstance): Processing, Finished or Failed."""

    id: str
    action: str
    instance_id: str
    status: str
    creation_time: datetime
    finish_time: datetime | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class TokenRecord:
    """An ExecuteScalingRule ClientToken: the request fingerprint and its answer."""

    id: str
    fingerprint: str
    activity_id: str
    creation_time: datetime


RECORD_KINDS: dict[str, type[Any]] = {
    "group": GroupRecord,
    "configuration": ConfigurationRecord,
    "rule": RuleRecord,
    "instance": ScalingInstanceRecord,
    "activity": ActivityRecord,
    "scheduled_task": ScheduledTaskRecord,
    "hook": HookRecord,
    "lifecycle_action": LifecycleActionRecord,
    "notification": NotificationRecord,
    "outbox": OutboxRecord,
    "ecs_instance": EcsInstanceRecord,
    "system_event": SystemEventRecord,
    "ecs_task": EcsTaskRecord,
    "token": TokenRecord,
}
"""Persisted record kinds and their classes; the store table keys rows by (kind, id)."""


@dataclass(slots=True, order=True)
class Event:
    """A future state change: ordered by due time, then by the order it was scheduled."""

    due: datetime
    seq: int
    kind: str = field(compare=False)
    payload: dict[str, str] = field(compare=False, default_factory=dict)


_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


_ID_PAIRS = tuple(a + b for a in _ID_ALPHABET for b in _ID_ALPHABET)


def _base36(value: int, width: int) -> str:
    """``value`` in base 36, left-padded with zeros to ``width`` (two digits per step)."""
    text = ""
    while value:
        value, rem = divmod(value, 1296)
        text = _ID_PAIRS[rem] + text  # ids have a handful of pairs: prepending beats a list and a join
    return text.lstrip("0").rjust(width, "0")


class State:
    """All emulator state: records by id, indexes by group, dirty set and event queue."""

    def __init__(self) -> None:
        self.groups: dict[str, GroupRecord] = {}
        self.configurations: dict[str, ConfigurationRecord] = {}
        self.rules: dict[str, RuleRecord] = {}
        self.instances: dict[str, ScalingInstanceRecord] = {}
        self.activities: dict[str, ActivityRecord] = {}
        self.scheduled_tasks: dict[str, ScheduledTaskRecord] = {}
        self.hooks: dict[str, HookRecord] = {}
        self.lifecycle_actions: dict[str, LifecycleActionRecord] = {}
        self.notifications: dict[str, NotificationRecord] = {}
        self.outbox: dict[str, OutboxRecord] = {}
        self.ecs_instances: dict[str, EcsInstanceRecord] = {}
        self.system_events: dict[str, SystemEventRecord] = {}
        self.ecs_tasks: dict[str, EcsTaskRecord] = {}
        self.tokens: dict[str, TokenRecord] = {}
        # Indexes by scaling group (insertion-ordered dicts used as ordered sets).
        self.group_instances: dict[str, dict[str, None]] = {}
        self.group_configurations: dict[str, dict[str, None]] = {}
        self.group_rules: dict[str, dict[str, None]] = {}
        self.group_activities: dict[str, dict[str, None]] = {}
        self.group_hooks: dict[str, dict[str, None]] = {}
        self.rule_by_ari: dict[str, str] = {}
        self.auto_created_count = 0
        """Auto-created instances in all groups (the 1,000-instance quota)."""
        self.seq = 0
        self.dirty: set[tuple[str, str]] = set()
        self.events: list[Event] = []
        self.dirty_events: set[int] = set()
        self._live_events: dict[int, Event] = {}
        self._by_kind: dict[str, dict[str, Any]] = self._tables()

    # -- ids and persistence bookkeeping ---------------------------------------------

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def new_id(self, prefix: str) -> str:
        """A fresh, never reused id such as ``asg-000000000000000000001f``."""
        return f"{prefix}-{_base36(self.next_seq(), 20)}"

    def touch(self, kind: str, record_id: str) -> None:
        """Mark a record written or deleted, for the end-of-action write-through."""
        self.dirty.add((kind, record_id))

    def table(self, kind: str) -> dict[str, Any]:
        """The dict holding records of ``kind`` (see :data:`RECORD_KINDS`)."""
        return self._by_kind[kind]

    def _tables(self) -> dict[str, dict[str, Any]]:
        return {
            "group": self.groups,
            "configuration": self.configurations,
            "rule": self.rules,
            "instance": self.instances,
            "activity": self.activities,
            "scheduled_task": self.scheduled_tasks,
            "hook": self.hooks,
            "lifecycle_action": self.lifecycle_actions,
            "notification": self.notifications,
            "outbox": self.outbox,
            "ecs_instance": self.ecs_instances,
            "system_event": self.system_events,
            "ecs_task": self.ecs_tasks,
            "token": self.tokens,
        }

    # -- the event queue ----------------------------------------------------------------

    def schedule(self, due: datetime, kind: str, payload: dict[str, str] | None = None) -> Event:
        """Queue a future state change; ``advance`` applies it once ``due`` is reached."""
        event = Event(due=due, seq=self.next_seq(), kind=kind, payload=dict(payload or {}))
        heapq.heappush(self.events, event)
        self._live_events[event.seq] = event
        self.dirty_events.add(event.seq)
        return event

    def cancel(self, event: Event) -> None:
        """Drop a queued event (it is skipped when popped)."""
        if self._live_events.pop(event.seq, None) is not None:
            self.dirty_events.add(event.seq)

    def next_due(self) -> datetime | None:
        while self.events and self.events[0].seq not in self._live_events:
            heapq.heappop(self.events)
        return self.events[0].due if self.events else None

    def pop_due(self, now: datetime) -> Event | None:
        """The earliest live event due at or before ``now``, removed from the queue."""
        while self.events and self.events[0].due <= now:
            event = heapq.heappop(self.events)
            if self._live_events.pop(event.seq, None) is not None:
                self.dirty_events.add(event.seq)
                return event
        return None

    def live_event(self, seq: int) -> Event | None:
        return self._live_events.get(seq)

    def restore_event(self, event: Event) -> None:
        """Put back a persisted event on reload (no dirty marking)."""
        heapq.heappush(self.events, event)
        self._live_events[event.seq] = event

    # -- indexes ---------------------------------------------------------------------

    def index(self, table: dict[str, dict[str, None]], group_id: str) -> dict[str, None]:
        found = table.get(group_id)
        if found is None:
            found = table[group_id] = {}
        return found

    def add_instance(self, record: ScalingInstanceRecord) -> None:
        self.instances[record.instance_id] = record
        self.index(self.group_instances, record.group_id)[record.instance_id] = None
        if record.creation_type == "AutoCreated":
            self.auto_created_count += 1
        self.touch("instance", record.instance_id)

    def drop_instance(self, instance_id: str) -> ScalingInstanceRecord | None:
        record = self.instances.pop(instance_id, None)
        if record is None:
            return None
        self.group_instances.get(record.group_id, {}).pop(instance_id, None)
        if record.creation_type == "AutoCreated":
            self.auto_created_count -= 1
        self.touch("instance", instance_id)
        return record

    def group_members(self, group_id: str) -> list[ScalingInstanceRecord]:
        """The group's instances in the order they joined."""
        return list(map(self.instances.__getitem__, self.group_instances.get(group_id, {})))

    def rebuild_indexes(self) -> None:
        """Recompute every index from the records (after a reload)."""
        self.group_instances.clear()
        self.group_configurations.clear()
        self.group_rules.clear()
        self.group_activities.clear()
        self.group_hooks.clear()
        self.rule_by_ari.clear()
        self.auto_created_count = 0
        for inst in sorted(self.instances.values(), key=lambda r: r.seq):
            self.index(self.group_instances, inst.group_id)[inst.instance_id] = None
            if inst.creation_type == "AutoCreated":
                self.auto_created_count += 1
        for conf in sorted(self.configurations.values(), key=lambda r: r.seq):
            self.index(self.group_configurations, conf.group_id)[conf.id] = None
        for rule in self.rules.values():
            self.index(self.group_rules, rule.group_id)[rule.id] = None
            self.rule_by_ari[rule.ari] = rule.id
        for act in sorted(self.activities.values(), key=lambda r: r.seq):
            self.index(self.group_activities, act.group_id)[act.id] = None
        for hook in sorted(self.hooks.values(), key=lambda r: r.seq):
            self.index(self.group_hooks, hook.group_id)[hook.id] = None
