"""DescribeScalingGroups, DescribeScalingInstances and DescribeScalingActivities.

Rendered through the wire models of :mod:`autoscaler.ess.model`, so the emulator's
answers and the client's parsing share one definition. Filters that name unknown
ids are left out of the result without an error, as documented; activities older
than ``settings.activity_history_days`` (30) are not returned, newest first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from autoscaler.emulator._common import page
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import ActivityRecord, GroupRecord, ScalingInstanceRecord, State
from autoscaler.emulator.activities import capacity
from autoscaler.ess.model import ScalingActivity, ScalingGroup, ScalingInstance

__all__ = ["INSTANCE_MODEL_FIELDS", "activity_model", "group_model", "instance_model"]


def group_model(state: State, group: GroupRecord) -> ScalingGroup:
    counts = capacity(state, group.id)
    return ScalingGroup(
        scaling_group_id=group.id, scaling_group_name=group.name,
        active_scaling_configuration_id=group.active_configuration_id,
        launch_template_id=group.launch_template_id, launch_template_version=group.launch_template_version,
        region_id=group.region, min_size=group.min_size, max_size=group.max_size,
        default_cooldown=group.default_cooldown, removal_policies=tuple(group.removal_policies),
        load_balancer_ids=tuple(group.load_balancer_ids), db_instance_ids=tuple(group.db_instance_ids),
        vswitch_id=group.vswitch_id, vswitch_ids=tuple(group.vswitch_ids) or None,
        lifecycle_state=group.lifecycle_state, total_capacity=counts.total, active_capacity=counts.active,
        pending_capacity=counts.pending, removing_capacity=counts.removing, standby_capacity=counts.standby,
        protected_capacity=counts.protected, multi_az_policy=group.multi_az_policy,
        scaling_policy=group.scaling_policy, creation_time=group.creation_time,
    )


INSTANCE_MODEL_FIELDS = ("instance_id", "group_id", "configuration_id", "health_status", "lifecycle_state",
                         "creation_time", "creation_type", "zone", "load_balancer_weight")
"""The fields of a :class:`ScalingInstanceRecord` that :func:`instance_model` reads: the
model changes exactly when one of them does (a cache key for in-process readers)."""


def instance_model(inst: ScalingInstanceRecord) -> ScalingInstance:
    return ScalingInstance(
        instance_id=inst.instance_id, scaling_group_id=inst.group_id,
        scaling_configuration_id=inst.configuration_id, health_status=inst.health_status,
        lifecycle_state=inst.lifecycle_state, creation_time=inst.creation_time, creation_type=inst.creation_type,
        zone_id=inst.zone, load_balancer_weight=inst.load_balancer_weight,
    )


def activity_model(activity: ActivityRecord) -> ScalingActivity:
    return ScalingActivity(
        scaling_activity_id=activity.id, scaling_group_id=activity.group_id, description=activity.description,
        cause=activity.cause, start_time=activity.start_time, end_time=activity.end_time,
        progress=activity.progress, status_code=activity.status_code,
        status_message=activity.status_message,  # documented field: "" while InProgress
    )


@action("DescribeScalingGroups")
def describe_scaling_groups(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    ids = p.items("ScalingGroupId", max_items=20)
    names = p.items("ScalingGroupName", max_items=20)
    pool = [state.groups[i] for i in dict.fromkeys(ids) if i in state.groups] if ids else list(state.groups.values())
    if names:
        pool = [g for g in pool if g.name in names]
    items, paging = page(p, pool)
    return {**paging, "ScalingGroups": {"ScalingGroup": [group_model(state, g).to_wire() for g in items]}}


@action("DescribeScalingInstances")
def describe_scaling_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group_id = p.get("ScalingGroupId")
    ids = p.items("InstanceId", max_items=20)
    config_id = p.get("ScalingConfigurationId")
    health = p.choice("HealthStatus", ("Healthy", "Unhealthy"))
    lifecycle = p.choice("LifecycleState", ("InService", "Pending", "Removing", "Standby", "Protected"))
    creation = p.choice("CreationType", ("AutoCreated", "Attached"))
    if ids:
        pool = [state.instances[i] for i in dict.fromkeys(ids) if i in state.instances]
        if group_id is not None:
            pool = [i for i in pool if i.group_id == group_id]
    elif group_id is not None:
        pool = state.group_members(group_id)
    else:
        pool = sorted(state.instances.values(), key=lambda i: i.seq)
    pool = [
        i for i in pool
        if (config_id is None or i.configuration_id == config_id)
        and (health is None or i.health_status == health)
        and (lifecycle is None or i.lifecycle_state == lifecycle)
        and (creation is None or i.creation_type == creation)
    ]
    items, paging = page(p, pool)
    return {**paging, "ScalingInstances": {"ScalingInstance": [instance_model(i).to_wire() for i in items]}}


@action("DescribeScalingActivities")
def describe_scaling_activities(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group_id = p.get("ScalingGroupId")
    ids = p.items("ScalingActivityId", max_items=10)
    status = p.choice("StatusCode", ("Successful", "Warning", "Failed", "InProgress", "Rejected"))
    if ids:
        pool = [state.activities[i] for i in dict.fromkeys(ids) if i in state.activities]
        if group_id is not None:
            pool = [a for a in pool if a.group_id == group_id]
    elif group_id is not None:
        pool = [state.activities[a] for a in state.group_activities.get(group_id, {})]
    else:
        pool = list(state.activities.values())
    since = ctx.now - timedelta(days=ctx.settings.activity_history_days)
    pool = [a for a in pool if a.start_time >= since and (status is None or a.status_code == status)]
    pool.sort(key=lambda a: a.seq, reverse=True)
    items, paging = page(p, pool)
    return {**paging, "ScalingActivities": {"ScalingActivity": [activity_model(a).to_wire() for a in items]}}
