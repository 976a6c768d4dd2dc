"""Instance care: EnterStandby, ExitStandby, SetInstancesProtection, RebalanceInstances.

- Standby: an InService (or Protected) instance goes Standby with SLB weight 0; it
  still counts toward TotalCapacity but no scale-in chooses it. ExitStandby puts it
  back InService with its configuration's weight. At most 20 ids per call (the
  reference states 20 for ExitStandby and none for EnterStandby; we apply 20 to both).
- Protection: needs an Active group; InService <-> Protected.
- Rebalance (MultiAZPolicy BALANCE only): allowed when the group's zones are
  "severely" imbalanced, which the reference does not quantify: we call it severe
  when the fullest and the emptiest zone differ by more than one instance. One
  activity launches replacements in the emptier zones first, then removes as many
  instances from the fuller zones (at most 20), and may exceed MaxSize meanwhile by
  10 % of MaxSize (rounded down), at least 1 instance.
"""

from __future__ import annotations

from typing import Any

from autoscaler.emulator import activities
from autoscaler.emulator._common import (
    error,
    find_group,
    group_zones,
    instance_ids,
    members_by_id,
    require_active,
    require_idle,
)
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import GroupRecord, ScalingInstanceRecord
from autoscaler.ess.removal import Candidate, choose_for_removal

__all__ = ["rebalance_plan"]

_MAX_REPLACED = 20
_SRC = "AttachInstances"


def _set_state(ctx: Ctx, instances: list[ScalingInstanceRecord], allowed: tuple[str, ...], target: str) -> None:
    for inst in instances:
        if inst.lifecycle_state not in allowed:
            raise error("IncorrectInstanceStatus", ctx.action, name=inst.instance_id, source=_SRC)
    for inst in instances:
        inst.lifecycle_state = target
        if target == "Standby":
            inst.load_balancer_weight = 0
        elif inst.load_balancer_weight == 0 and inst.configuration_id is not None:
            config = ctx.state.configurations.get(inst.configuration_id)
            inst.load_balancer_weight = config.load_balancer_weight if config is not None else 50
        ctx.state.touch("instance", inst.instance_id)


@action("EnterStandby")
def enter_standby(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    found = members_by_id(ctx, group, instance_ids(p))
    _set_state(ctx, found, ("InService", "Protected", "Standby"), "Standby")
    return {}


@action("ExitStandby")
def exit_standby(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    found = members_by_id(ctx, group, instance_ids(p))
    _set_state(ctx, found, ("Standby", "InService"), "InService")
    for inst in found:  # the health status is updated again after ExitStandby
        activities.ecs_status_changed(ctx, inst.instance_id)
    return {}


@action("SetInstancesProtection")
def set_instances_protection(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    ids = instance_ids(p)
    protect = p.opt_bool("ProtectedFromScaleIn")
    require_active(ctx, group)
    found = members_by_id(ctx, group, ids)
    if protect:
        _set_state(ctx, found, ("InService", "Protected"), "Protected")
    else:
        _set_state(ctx, found, ("InService", "Protected"), "InService")
        for inst in found:
            activities.ecs_status_changed(ctx, inst.instance_id)
    return {}


def rebalance_plan(zone_sizes: dict[str, int], candidates: list[Candidate], policies: list[str], *,
                   limit: int) -> tuple[list[str], list[str]]:
    """(ids to replace, zones to launch in): move one instance at a time from the fullest
    zone to the emptiest until no two zones differ by more than one, at most ``limit``."""
    sizes = dict(zone_sizes)
    pool: dict[str, list[Candidate]] = {c.zone: [] for c in candidates}
    for c in candidates:
        if c.removable:
            pool[c.zone].append(c)
    removed: list[str] = []
    launch: list[str] = []
    while len(removed) < limit:
        full = max((z for z in sizes if pool.get(z)), key=lambda z: sizes[z], default=None)
        empty = min(sizes, key=lambda z: sizes[z])
        if full is None or sizes[full] - sizes[empty] <= 1:
            break
        pick = choose_for_removal(pool[full], 1, policies)[0]
        pool[full] = [c for c in pool[full] if c.instance_id != pick]
        removed.append(pick)
        launch.append(empty)
        sizes[full] -= 1
        sizes[empty] += 1
    return removed, launch


def _overshoot_room(group: GroupRecord, total: int) -> int:
    extra = max(1, group.max_size // 10)
    return max(0, group.max_size + extra - total)


@action("RebalanceInstances")
def rebalance_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group = find_group(ctx, p)
    require_active(ctx, group)
    zones = group_zones(ctx, group)
    if group.multi_az_policy != "BALANCE" or len(set(zones)) < 2:
        raise error("OperationDenied", ctx.action)
    require_idle(ctx, group)
    sizes = dict.fromkeys(zones, 0)
    for inst in state.group_members(group.id):
        sizes[inst.zone] = sizes.get(inst.zone, 0) + 1
    if max(sizes.values()) - min(sizes.values()) <= 1:
        raise error("OperationDenied", ctx.action)
    total = len(state.group_instances.get(group.id, {}))
    limit = min(_MAX_REPLACED, _overshoot_room(group, total))
    removed, launch = rebalance_plan(sizes, activities.removal_candidates(state, group), group.removal_policies,
                                     limit=limit)
    if not removed:
        raise error("OperationDenied", ctx.action)
    activity = activities.start_scale_out(
        ctx, group, len(launch), kind="rebalance", zones=launch, removal_ids=removed,
        cause=f'A user rebalances the scaling group across zones, replacing "{len(removed)}" ECS instances.')
    activity.description = f'Rebalance "{len(removed)}" ECS instances across zones'
    state.touch("activity", activity.id)
    return {"ScalingActivityId": activity.id}
