"""Trigger tasks on existing instances: AttachInstances, RemoveInstances, DetachInstances.

All three need an Active group with no activity in progress, take at most 20
instance ids, respect MaxSize (attach) and MinSize (remove, detach), and start an
activity whose id they return. Attached instances keep running when they leave;
auto-created ones are released, or stopped without charges with RemovePolicy
``recycle`` (only in a group whose ScalingPolicy is ``recycle``, otherwise the
documented ``InvalidParameter``). An explicit removal may take standby and
protected instances (only scale-ins never choose them); instances still joining or
leaving cannot be removed (``IncorrectInstanceStatus``).
"""

from __future__ import annotations

from typing import Any

from autoscaler.emulator import activities
from autoscaler.emulator._common import (
    error,
    find_group,
    instance_ids,
    members_by_id,
    require_active,
    require_idle,
)
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import GroupRecord, ScalingInstanceRecord
from autoscaler.ess import ess_error

__all__ = ["check_attachable"]

_SRC = "AttachInstances"


def check_attachable(ctx: Ctx, group: GroupRecord, ids: list[str], *, instance_type: str | None,
                     source: str) -> None:
    """The documented preconditions on ECS instances joining ``group`` (attach, enable)."""
    state = ctx.state
    if len(set(ids)) != len(ids):
        raise ess_error("InvalidParameter", name="InstanceId.N")
    for instance_id in ids:
        ecs = state.ecs_instances.get(instance_id)
        if ecs is None:
            raise error("InvalidInstanceId.NotFound", ctx.action, name=instance_id, source=source)
        if ecs.region != group.region:
            raise error("InvalidInstanceId.RegionMismatch", ctx.action, name=instance_id, source="EnableScalingGroup")
        if instance_type is not None and ecs.instance_type != instance_type:
            raise error("InvalidInstanceId.InstanceTypeMismatch", ctx.action, name=instance_id, source=source)
        if ecs.status != "Running":
            raise error("IncorrectInstanceStatus", ctx.action, name=instance_id, source=source)
        if (group.vswitch_id is None) != (ecs.network_type == "classic"):
            raise error("InvalidInstanceId.NetworkTypeMismatch", ctx.action, name=instance_id,
                        source="EnableScalingGroup")
        if ecs.scaling_group_id is not None:
            raise error("InvalidInstanceId.InUse", ctx.action, name=instance_id, source=source)
    total = len(state.group_instances.get(group.id, {}))
    if total + len(ids) > group.max_size:
        raise error("IncorrectCapacity.MaxSize", ctx.action, source=source)


def _weights(p: Params) -> list[int]:
    """``LoadBalancerWeight.N`` for each ``InstanceId.N`` (0-100, default 50)."""
    positions = sorted(int(k[11:]) for k in p.raw if k.startswith("InstanceId.") and k[11:].isdigit())
    for key in p.raw:
        if key.startswith("LoadBalancerWeight."):
            index = key[len("LoadBalancerWeight.") :]
            if not index.isdigit() or int(index) not in positions:
                raise ess_error("InvalidParameter", name=key)
    weights: list[int] = []
    for n in positions:
        weight = p.opt_int(f"LoadBalancerWeight.{n}", low=0, high=100)
        weights.append(50 if weight is None else weight)
    return weights


@action("AttachInstances")
def attach_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    ids = instance_ids(p)
    weights = _weights(p)
    require_active(ctx, group)
    require_idle(ctx, group)
    config = ctx.state.configurations.get(group.active_configuration_id or "")
    check_attachable(ctx, group, ids, instance_type=config.instance_type if config else None, source=_SRC)
    activity = activities.start_attach(ctx, group, ids, weights, cause=(
        f'A user attaches "{len(ids)}" ECS instances, changing the Total Capacity from '
        f'"{len(ctx.state.group_instances.get(group.id, {})) - len(ids)}" to '
        f'"{len(ctx.state.group_instances.get(group.id, {}))}".'))
    return {"ScalingActivityId": activity.id}


def _removable(ctx: Ctx, group: GroupRecord, p: Params) -> list[ScalingInstanceRecord]:
    ids = instance_ids(p)
    require_active(ctx, group)
    require_idle(ctx, group)
    found = members_by_id(ctx, group, ids)
    for inst in found:
        if inst.lifecycle_state in ("Pending", "Removing"):
            raise error("IncorrectInstanceStatus", ctx.action, name=inst.instance_id, source=_SRC)
    total = len(ctx.state.group_instances.get(group.id, {}))
    if total - len(found) < group.min_size:
        raise error("IncorrectCapacity.MinSize", ctx.action, source="RemoveInstances")
    return found


@action("RemoveInstances")
def remove_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    policy = p.choice("RemovePolicy", ("recycle", "release")) or "release"
    if policy == "recycle" and group.scaling_policy != "recycle":
        raise error("InvalidParameter", ctx.action)  # "The specified group does not support ..."
    found = _removable(ctx, group, p)
    total = len(ctx.state.group_instances.get(group.id, {}))
    activity = activities.start_scale_in(ctx, group, found, kind="remove", remove_policy=policy, cause=(
        f'A user removes "{len(found)}" ECS instances, changing the Total Capacity from '
        f'"{total}" to "{total - len(found)}".'))
    return {"ScalingActivityId": activity.id}


@action("DetachInstances")
def detach_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    found = _removable(ctx, group, p)
    total = len(ctx.state.group_instances.get(group.id, {}))
    activity = activities.start_scale_in(ctx, group, found, kind="detach", remove_policy="keep", cause=(
        f'A user detaches "{len(found)}" ECS instances, changing the Total Capacity from '
        f'"{total}" to "{total - len(found)}".'))
    return {"ScalingActivityId": activity.id}
