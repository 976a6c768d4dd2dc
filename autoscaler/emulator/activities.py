"""Scaling activities that run over time: launches, removals, attach and detach.

An activity starts in a handler (ExecuteScalingRule, AttachInstances, a MinSize
correction...) and progresses through queued events, never by sleeping:

- scale-out: each instance is created Pending (its ECS side Pending too) and an
  ``activity.launched`` event fires ``launch_seconds`` later; instances that a
  SCALE_OUT lifecycle hook holds stay Pending until the hook family calls
  :func:`release_from_wait`; the others go InService;
- scale-in: the chosen instances go Removing; ``activity.removed`` fires
  ``removal_seconds`` later and they leave the group (auto-created ones are
  released or, with RemovePolicy recycle, stopped without charges; attached ones
  are only detached);
- an activity ends when it waits for nothing: ``Successful`` if every instance made
  it, ``Warning`` if some did, ``Failed`` if none did (a zone out of stock under
  ``settings.zone_stock``, or a hook ABANDON), with Progress 100, EndTime and a
  status message. The group's cooldown starts then (the rule's Cooldown, else the
  group's DefaultCooldown) and MinSize/MaxSize are enforced again.

A group runs one activity at a time (``GroupRecord.current_activity_id``).
"""

from __future__ import annotations

import operator
from datetime import timedelta

from autoscaler.emulator._common import create_ecs_instance, group_zones, stock_left, zone_counts
from autoscaler.emulator._registry import Ctx, notify, on_event, run_lifecycle_gate
from autoscaler.emulator._state import ActivityRecord, Event, GroupRecord, ScalingInstanceRecord, State
from autoscaler.ess.removal import Candidate, choose_for_removal

__all__ = [
    "Capacity",
    "capacity",
    "ecs_status_changed",
    "reconcile",
    "release_from_wait",
    "removal_candidates",
    "start_attach",
    "start_scale_in",
    "start_scale_out",
]

_LIFECYCLE = operator.attrgetter("lifecycle_state")
_HEALTH = operator.attrgetter("health_status")


class Capacity:
    """Instance counts of one group, as DescribeScalingGroups reports them."""

    __slots__ = ("active", "pending", "protected", "removing", "standby", "total")

    def __init__(self) -> None:
        self.total = self.active = self.pending = self.removing = self.standby = self.protected = 0


def capacity(state: State, group_id: str) -> Capacity:
    """Total = Active (InService, Standby, Protected) + Pending + Removing."""
    # The states listed and counted in C (list.count compares with ==, as a chain of ifs
    # would); they are disjoint, so whatever is neither serving nor Pending is Removing.
    states = list(map(_LIFECYCLE, state.group_members(group_id)))
    counts = Capacity()
    counts.total = len(states)
    counts.standby = states.count("Standby")
    counts.protected = states.count("Protected")
    counts.active = states.count("InService") + counts.standby + counts.protected
    counts.pending = states.count("Pending")
    counts.removing = counts.total - counts.active - counts.pending
    return counts


def _plural(count: int) -> str:
    return "instance" if count == 1 else "instances"


def _new_activity(ctx: Ctx, group: GroupRecord, kind: str, *, cause: str, description: str,
                  total: int, cooldown: int | None) -> ActivityRecord:
    state = ctx.state
    activity = ActivityRecord(
        id=state.new_id("asa"), group_id=group.id, kind=kind, cause=cause, description=description,
        start_time=ctx.now, total=total, cooldown=cooldown, seq=state.seq,
    )
    activity.capacity_from = len(state.group_instances.get(group.id, {}))
    state.activities[activity.id] = activity
    state.index(state.group_activities, group.id)[activity.id] = None
    state.touch("activity", activity.id)
    group.current_activity_id = activity.id
    state.touch("group", group.id)
    return activity


def _pick_zone(zones: list[str], counts: dict[str, int], stock: dict[str, int] | None, balance: bool) -> str | None:
    usable = zones if stock is None else [z for z in zones if stock.get(z, 1) > 0]
    if not usable:
        return None
    if balance:
        return min(usable, key=lambda z: (counts.get(z, 0), zones.index(z)))
    return usable[0]


def start_scale_out(ctx: Ctx, group: GroupRecord, count: int, *, cause: str, cooldown: int | None = None,
                    kind: str = "scale_out", zones: list[str] | None = None,
                    removal_ids: list[str] | None = None) -> ActivityRecord:
    """Launch ``count`` instances from the active configuration.

    ``zones`` (a rebalance) names the zone of each instance; ``removal_ids`` are the
    instances a rebalance removes once the replacements are in service.
    """
    state = ctx.state
    activity = _new_activity(ctx, group, kind, cause=cause, total=count, cooldown=cooldown,
                             description=f'Add "{count}" ECS {_plural(count)}')
    activity.removal_ids = list(removal_ids or [])
    config = state.configurations.get(group.active_configuration_id or "")
    instance_type = config.instance_type if config is not None else "ecs.unknown"
    order = group_zones(ctx, group)
    balance = group.multi_az_policy == "BALANCE"
    # The members per zone steer only a BALANCE group's choice (_pick_zone reads them then):
    # other groups skip counting their members.
    counts = zone_counts(state, group, order) if balance else {}
    stock = stock_left(ctx)
    vswitch_by_zone = _vswitch_by_zone(ctx, group)
    now, group_id, config_id = ctx.now, group.id, group.active_configuration_id
    weight = config.load_balancer_weight if config is not None else 50
    pending = activity.pending_ids
    for n in range(count):
        zone = _pick_zone([zones[n]] if zones is not None else order, counts, stock, balance)
        if zone is None:
            activity.failed += 1
            continue
        if balance:
            counts[zone] = counts.get(zone, 0) + 1
        if stock is not None:
            stock[zone] = stock.get(zone, 0) - 1
        ecs = create_ecs_instance(state, region=group.region, zone=zone, instance_type=instance_type, now=now,
                                  status="Pending", vswitch_id=vswitch_by_zone.get(zone), created_by_ess=True)
        ecs.scaling_group_id = group_id
        state.add_instance(ScalingInstanceRecord(
            instance_id=ecs.instance_id, group_id=group_id, zone=zone, creation_time=now,
            creation_type="AutoCreated", seq=state.next_seq(), configuration_id=config_id,
            load_balancer_weight=weight, activity_id=activity.id,
        ))
        pending.append(ecs.instance_id)
    activity.capacity_to = activity.capacity_from + len(activity.pending_ids)
    notify(ctx, group.id, "AUTOSCALING:SCALE_OUT_START", activity)
    if activity.pending_ids:
        state.schedule(ctx.now + timedelta(seconds=ctx.settings.launch_seconds), "activity.launched",
                       {"activity": activity.id})
    _maybe_finish(ctx, activity)
    return activity


def _vswitch_by_zone(ctx: Ctx, group: GroupRecord) -> dict[str, str]:
    out: dict[str, str] = {}
    for vswitch, zone in zip(group.vswitch_ids, group.zones, strict=False):
        out.setdefault(zone, vswitch)
    return out


def start_attach(ctx: Ctx, group: GroupRecord, ids: list[str], weights: list[int], *, cause: str) -> ActivityRecord:
    """Attach existing ECS instances (they join Pending and go InService after ``attach_seconds``)."""
    state = ctx.state
    activity = _new_activity(ctx, group, "attach", cause=cause, total=len(ids), cooldown=None,
                             description=f'Add "{len(ids)}" ECS {_plural(len(ids))}')
    for instance_id, weight in zip(ids, weights, strict=True):
        ecs = state.ecs_instances[instance_id]
        ecs.scaling_group_id = group.id
        state.touch("ecs_instance", instance_id)
        state.add_instance(ScalingInstanceRecord(
            instance_id=instance_id, group_id=group.id, zone=ecs.zone, creation_time=ctx.now,
            creation_type="Attached", seq=state.next_seq(), load_balancer_weight=weight, activity_id=activity.id,
        ))
        activity.pending_ids.append(instance_id)
    activity.capacity_to = activity.capacity_from + len(ids)
    notify(ctx, group.id, "AUTOSCALING:SCALE_OUT_START", activity)
    state.schedule(ctx.now + timedelta(seconds=ctx.settings.attach_seconds), "activity.launched",
                   {"activity": activity.id})
    return activity


def start_scale_in(ctx: Ctx, group: GroupRecord, instances: list[ScalingInstanceRecord], *, cause: str,
                   cooldown: int | None = None, kind: str = "scale_in", remove_policy: str = "release",
                   activity: ActivityRecord | None = None) -> ActivityRecord:
    """Remove ``instances`` (``remove_policy``: release, recycle, or keep for a detach)."""
    state = ctx.state
    count = len(instances)
    if activity is None:
        activity = _new_activity(ctx, group, kind, cause=cause, total=count, cooldown=cooldown,
                                 description=f'Remove "{count}" ECS {_plural(count)}')
        activity.capacity_to = activity.capacity_from - count
        notify(ctx, group.id, "AUTOSCALING:SCALE_IN_START", activity)
    ids: list[str] = []
    for inst in instances:
        inst.lifecycle_state = "Removing"
        inst.activity_id = activity.id
        inst.remove_policy = remove_policy
        state.touch("instance", inst.instance_id)
        ids.append(inst.instance_id)
    activity.pending_ids.extend(ids)
    state.touch("activity", activity.id)
    held = run_lifecycle_gate(ctx, activity, ids, "SCALE_IN")
    for instance_id in held:
        state.instances[instance_id].in_hook_wait = True
    delay = ctx.settings.attach_seconds if remove_policy == "keep" else ctx.settings.removal_seconds
    state.schedule(ctx.now + timedelta(seconds=delay), "activity.removed", {"activity": activity.id})
    return activity


def removal_candidates(state: State, group: GroupRecord) -> list[Candidate]:
    """The group's instances as removal candidates (only InService ones are removable)."""
    ages = {cid: i for i, cid in enumerate(state.group_configurations.get(group.id, {}))}
    # A record's id is never empty: the tuples are built directly, without the keyword parsing.
    new = tuple.__new__
    return [
        new(Candidate, (inst.instance_id, inst.zone, inst.seq, ages.get(inst.configuration_id or ""),
                        inst.lifecycle_state == "InService"))
        for inst in state.group_members(group.id)
    ]


def choose_instances(state: State, group: GroupRecord, count: int) -> list[ScalingInstanceRecord]:
    chosen = choose_for_removal(removal_candidates(state, group), count, group.removal_policies,
                                balance=group.multi_az_policy == "BALANCE")
    return [state.instances[i] for i in chosen]


@on_event("activity.launched")
def _on_launched(ctx: Ctx, event: Event) -> None:
    state = ctx.state
    activity = state.activities.get(event.payload["activity"])
    if activity is None or activity.status_code != "InProgress":
        return
    ready: list[str] = []
    for instance_id in activity.pending_ids:
        inst = state.instances.get(instance_id)
        if inst is not None and inst.lifecycle_state == "Pending" and not inst.in_hook_wait:
            ecs = state.ecs_instances.get(instance_id)
            if ecs is not None and ecs.status == "Pending":
                ecs.status = "Running"
                state.touch("ecs_instance", instance_id)
            ready.append(instance_id)
    held = run_lifecycle_gate(ctx, activity, ready, "SCALE_OUT")
    for instance_id in ready:
        if instance_id in held:
            state.instances[instance_id].in_hook_wait = True
            state.touch("instance", instance_id)
        else:
            _in_service(ctx, activity, state.instances[instance_id])
    _maybe_finish(ctx, activity)


@on_event("activity.removed")
def _on_removed(ctx: Ctx, event: Event) -> None:
    state = ctx.state
    activity = state.activities.get(event.payload["activity"])
    if activity is None or activity.status_code != "InProgress":
        return
    for instance_id in list(activity.pending_ids):
        inst = state.instances.get(instance_id)
        if inst is not None and inst.lifecycle_state == "Removing" and not inst.in_hook_wait:
            _leave_group(ctx, activity, inst)
    _maybe_finish(ctx, activity)


def _in_service(ctx: Ctx, activity: ActivityRecord, inst: ScalingInstanceRecord) -> None:
    inst.lifecycle_state = "InService"
    inst.activity_id = None
    inst.in_hook_wait = False
    ctx.state.touch("instance", inst.instance_id)
    activity.pending_ids.remove(inst.instance_id)
    activity.done += 1


def free_instance(state: State, inst: ScalingInstanceRecord, remove_policy: str | None) -> None:
    """Take ``inst`` out of its group; its ECS instance is released (created ones under
    ``release``), stopped in economical mode (``recycle``), or left running (attached)."""
    state.drop_instance(inst.instance_id)
    ecs = state.ecs_instances.get(inst.instance_id)
    if ecs is None:
        return
    if inst.creation_type == "AutoCreated" and remove_policy == "release":
        del state.ecs_instances[inst.instance_id]
    elif inst.creation_type == "AutoCreated" and remove_policy == "recycle":
        ecs.status, ecs.stopped_mode, ecs.scaling_group_id = "Stopped", "StopCharging", None
    else:
        ecs.scaling_group_id = None
    state.touch("ecs_instance", inst.instance_id)


def _leave_group(ctx: Ctx, activity: ActivityRecord, inst: ScalingInstanceRecord) -> None:
    free_instance(ctx.state, inst, inst.remove_policy)
    if inst.instance_id in activity.pending_ids:
        activity.pending_ids.remove(inst.instance_id)
        activity.done += 1


def _abandon_launch(ctx: Ctx, activity: ActivityRecord, inst: ScalingInstanceRecord) -> None:
    free_instance(ctx.state, inst, "release")
    activity.pending_ids.remove(inst.instance_id)
    activity.failed += 1


def release_from_wait(ctx: Ctx, instance_id: str, result: str) -> None:
    """End an instance's lifecycle-hook wait with ``CONTINUE`` or ``ABANDON`` (hook family API).

    Scale-out: CONTINUE puts the instance in service; ABANDON releases a created
    instance (an attached one just leaves). Scale-in: the instance leaves either way.
    """
    state = ctx.state
    inst = state.instances.get(instance_id)
    if inst is None or inst.activity_id is None or not inst.in_hook_wait:
        return
    activity = state.activities.get(inst.activity_id)
    if activity is None or activity.status_code != "InProgress":
        return
    inst.in_hook_wait = False
    state.touch("instance", instance_id)
    if inst.lifecycle_state == "Removing":
        _leave_group(ctx, activity, inst)
    elif result == "ABANDON":
        _abandon_launch(ctx, activity, inst)
    else:
        _in_service(ctx, activity, inst)
    _maybe_finish(ctx, activity)


def _maybe_finish(ctx: Ctx, activity: ActivityRecord) -> None:
    state = ctx.state
    finished = activity.done + activity.failed
    activity.progress = 100 if not activity.total else min(100, finished * 100 // activity.total)
    state.touch("activity", activity.id)
    if activity.pending_ids:
        return
    group = state.groups.get(activity.group_id)
    if activity.kind == "rebalance" and activity.removal_ids and group is not None:
        _start_rebalance_removal(ctx, group, activity)
        return
    _finish(ctx, activity, group)


def _start_rebalance_removal(ctx: Ctx, group: GroupRecord, activity: ActivityRecord) -> None:
    state = ctx.state
    launched = activity.done
    olds = [state.instances[i] for i in activity.removal_ids if i in state.instances][:launched]
    activity.removal_ids = []
    if not olds:
        _finish(ctx, activity, group)
        return
    activity.total += len(olds)
    start_scale_in(ctx, group, olds, cause=activity.cause, remove_policy="release", activity=activity)


def _finish(ctx: Ctx, activity: ActivityRecord, group: GroupRecord | None) -> None:
    state = ctx.state
    if activity.failed == 0:
        activity.status_code = "Successful"
    elif activity.done == 0:
        activity.status_code = "Failed"
    else:
        activity.status_code = "Warning"
    activity.progress = 100
    activity.end_time = ctx.now
    activity.status_message = _status_message(activity)
    state.touch("activity", activity.id)
    if group is None:
        return
    group.current_activity_id = None
    cooldown = activity.cooldown if activity.cooldown is not None else group.default_cooldown
    group.cooldown_until = ctx.now + timedelta(seconds=cooldown)
    state.touch("group", group.id)
    out = activity.kind in ("scale_out", "attach")
    suffix = "SUCCESS" if activity.status_code == "Successful" else "ERROR"
    notify(ctx, group.id, f"AUTOSCALING:SCALE_{'OUT' if out else 'IN'}_{suffix}", activity)
    if activity.status_code == "Successful":
        reconcile(ctx, group)


def _status_message(activity: ActivityRecord) -> str:
    verb = "removed" if activity.kind in ("scale_in", "remove", "detach") else "added"
    if activity.status_code == "Successful":
        return f'"{activity.done}" ECS instances is {verb}.'
    if activity.status_code == "Warning":
        return f'"{activity.done}" ECS instances is {verb}, "{activity.failed}" failed.'
    return f'"{activity.failed}" ECS instances failed to be {verb}.'


def ecs_status_changed(ctx: Ctx, instance_id: str) -> None:
    """Tell ESS that an instance's ECS status changed (the ECS family calls this).

    The health of an InService instance follows its ECS status (Running = Healthy);
    an Unhealthy one is removed from an idle Active group at once (released if the
    group created it). Standby and Protected instances keep their health status, as
    documented, until they are back InService.
    """
    state = ctx.state
    inst = state.instances.get(instance_id)
    if inst is None or inst.lifecycle_state != "InService":
        return
    ecs = state.ecs_instances.get(instance_id)
    health = "Healthy" if ecs is not None and ecs.status == "Running" else "Unhealthy"
    if health != inst.health_status:
        inst.health_status = health
        state.touch("instance", instance_id)
    if health == "Unhealthy":
        group = state.groups.get(inst.group_id)
        if group is not None:
            reconcile(ctx, group)


def _remove_unhealthy(ctx: Ctx, group: GroupRecord) -> ActivityRecord | None:
    state = ctx.state
    members = state.group_members(group.id)
    if "Unhealthy" not in map(_HEALTH, members):  # the common case, checked in C: nobody is sick
        return None
    sick = [i for i in members if i.lifecycle_state == "InService" and i.health_status == "Unhealthy"]
    if not sick:
        return None
    total = len(state.group_instances.get(group.id, {}))
    return start_scale_in(ctx, group, sick, cause=(
        f'"{len(sick)}" ECS instances are unhealthy, changing the Total Capacity from '
        f'"{total}" to "{total - len(sick)}".'))


def reconcile(ctx: Ctx, group: GroupRecord) -> ActivityRecord | None:
    """Start the activity an idle Active group needs: remove unhealthy instances, then
    come back into [MinSize, MaxSize]."""
    if group.lifecycle_state != "Active" or group.current_activity_id is not None:
        return None
    removal = _remove_unhealthy(ctx, group)
    if removal is not None:
        return removal
    total = len(ctx.state.group_instances.get(group.id, {}))
    if total < group.min_size and group.active_configuration_id is not None:
        room = ctx.settings.max_auto_created_instances - ctx.state.auto_created_count
        count = min(group.min_size - total, room)
        if count > 0:
            return start_scale_out(ctx, group, count, cause=(
                f'The current capacity "{total}" is less than the minimum size "{group.min_size}", '
                f'changing the Total Capacity from "{total}" to "{total + count}".'))
    if total > group.max_size:
        chosen = choose_instances(ctx.state, group, total - group.max_size)
        if chosen:
            return start_scale_in(ctx, group, chosen, cause=(
                f'The current capacity "{total}" is greater than the maximum size "{group.max_size}", '
                f'changing the Total Capacity from "{total}" to "{total - len(chosen)}".'))
    return None
