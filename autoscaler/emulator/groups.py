"""Scaling groups: CreateScalingGroup, ModifyScalingGroup, Enable/Disable/DeleteScalingGroup.

The emulator does not model SLB, RDS or VPC resources: ``LoadBalancerIds``,
``DBInstanceIds``, VServer groups and VSwitches are validated for their documented
shape and limits and recorded; the errors about those resources' own state
(``IncorrectLoadBalancerStatus``...) are never produced (docs/emulator-fidelity.md).
A VSwitch's zone comes from ``settings.vswitch_zones`` or a stable hash.
Launch templates are not modelled: ``LaunchTemplateId`` answers
``LaunchTemplateSet.NotFound`` rather than being silently ignored.
"""

from __future__ import annotations

from typing import Any

from autoscaler.emulator import activities
from autoscaler.emulator._common import (
    conflict_error,
    error,
    find_group,
    json_list,
    validate_name,
    zone_of_vswitch,
)
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import GroupRecord
from autoscaler.emulator.membership import check_attachable
from autoscaler.ess import EssError, ess_error
from autoscaler.ess.removal import REMOVAL_POLICIES

__all__ = ["delete_group_records", "vserver_groups"]

_MULTI_AZ = ("PRIORITY", "COST_OPTIMIZED", "BALANCE")
_DEFAULT_REMOVAL = ["OldestScalingConfiguration", "OldestInstance"]


def _removal_policies(p: Params) -> list[str] | None:
    values = p.items("RemovalPolicy", max_items=2)
    if not values:
        return None
    if any(v not in REMOVAL_POLICIES for v in values) or len(set(values)) != len(values):
        raise ess_error("InvalidParameter", name="RemovalPolicy.N")
    return values


def vserver_groups(p: Params, *, weights: bool = True) -> list[list[Any]]:
    """``VServerGroup.N.LoadBalancerId`` / ``...VServerGroupAttribute.M.{VServerGroupId,Port,Weight}``
    as ``[lb, vserver_group, port, weight]`` rows; N and M at most 5; repeats keep the first."""
    rows: list[list[Any]] = []
    for n, fields in p.nested("VServerGroup").items():
        if n > 5:
            raise ess_error("InvalidParameter", name=f"VServerGroup.{n}.LoadBalancerId")
        lb = fields.get("LoadBalancerId")
        if not lb:
            raise ess_error("MissingParameter", name=f"VServerGroup.{n}.LoadBalancerId")
        for m, attrs in Params(fields).nested("VServerGroupAttribute").items():
            name = f"VServerGroup.{n}.VServerGroupAttribute.{m}"
            if m > 5:
                raise ess_error("InvalidParameter", name=f"{name}.VServerGroupId")
            attr = Params(attrs)
            vsg = attr.get("VServerGroupId")
            if vsg is None:
                raise ess_error("MissingParameter", name=f"{name}.VServerGroupId")
            port = _named_int(attr, "Port", name, 1, 65535)
            if port is None:
                raise ess_error("MissingParameter", name=f"{name}.Port")
            weight = _named_int(attr, "Weight", name, 0, 100) if weights else None
            row: list[Any] = [lb, vsg, port, 50 if weight is None else weight]
            if not any(r[:3] == row[:3] for r in rows):
                rows.append(row)
    return rows


def _named_int(attr: Params, key: str, prefix: str, low: int, high: int) -> int | None:
    try:
        return attr.opt_int(key, low=low, high=high)
    except EssError:
        raise ess_error("InvalidParameter", name=f"{prefix}.{key}") from None


def _check_sizes(ctx: Ctx, p: Params, current: GroupRecord | None) -> tuple[int | None, int | None]:
    limit = ctx.settings.max_group_size
    min_size = p.opt_int("MinSize", low=0, high=limit)
    max_size = p.opt_int("MaxSize", low=0, high=limit)
    low = min_size if min_size is not None else (current.min_size if current else 0)
    high = max_size if max_size is not None else (current.max_size if current else 0)
    if low > high:
        raise conflict_error(ctx.action, "MinSize", "MaxSize")
    return min_size, max_size


def _check_unique_name(ctx: Ctx, name: str | None, own_id: str | None) -> None:
    if name is None:
        return
    for group in ctx.state.groups.values():
        if group.name == name and group.id != own_id:
            raise error("InvalidScalingGroupName.Duplicate", ctx.action, name="ScalingGroupName",
                        source="CreateScalingGroup")


def _vswitches(ctx: Ctx, p: Params) -> tuple[str | None, list[str]]:
    vswitch_ids = p.items("VSwitchIds", max_items=5)
    if len(set(vswitch_ids)) != len(vswitch_ids):
        raise ess_error("InvalidParameter", name="VSwitchIds.N")
    vswitch_id = p.get("VSwitchId")
    return (vswitch_ids[0] if vswitch_ids else vswitch_id), vswitch_ids or ([vswitch_id] if vswitch_id else [])


@action("CreateScalingGroup")
def create_scaling_group(ctx: Ctx, p: Params) -> dict[str, Any]:
    state, settings = ctx.state, ctx.settings
    min_size, max_size = _check_sizes(ctx, p, None)
    assert min_size is not None and max_size is not None  # required: checked by the service
    name = validate_name(p, "ScalingGroupName")
    _check_unique_name(ctx, name, None)
    cooldown = p.opt_int("DefaultCooldown", low=0, high=86400)
    policies = _removal_policies(p)
    scaling_policy = p.get("ScalingPolicy")
    if scaling_policy is not None and scaling_policy not in ("recycle", "release"):
        raise error("InvalidParameter", ctx.action)  # the row that names "ScalingPolicy"
    multi_az = p.choice("MultiAZPolicy", _MULTI_AZ)
    lbs = json_list(p, "LoadBalancerIds", max_items=5)
    dbs = json_list(p, "DBInstanceIds", max_items=8)
    vservers = vserver_groups(p)
    if len(vservers) > 5:
        raise error("QuotaExceeded.VServerGroup", "AttachVServerGroups")
    if p.get("LaunchTemplateId") is not None:
        raise error("LaunchTemplateSet.NotFound", ctx.action)
    vswitch_id, vswitch_ids = _vswitches(ctx, p)
    if len(state.groups) >= settings.max_scaling_groups:
        raise error("QuotaExceeded.ScalingGroup", ctx.action)
    group_id = state.new_id("asg")
    group = GroupRecord(
        id=group_id, name=name or group_id, region=settings.region, min_size=min_size, max_size=max_size,
        default_cooldown=300 if cooldown is None else cooldown, removal_policies=policies or list(_DEFAULT_REMOVAL),
        creation_time=ctx.now, multi_az_policy=multi_az or "PRIORITY", scaling_policy=scaling_policy or "release",
        vswitch_id=vswitch_id, vswitch_ids=vswitch_ids, zones=[zone_of_vswitch(ctx, v) for v in vswitch_ids],
        load_balancer_ids=lbs, db_instance_ids=dbs, vserver_groups=vservers,
    )
    state.groups[group_id] = group
    state.touch("group", group_id)
    return {"ScalingGroupId": group_id}


def _active_configuration(ctx: Ctx, group: GroupRecord, config_id: str) -> None:
    """Make ``config_id`` the group's active configuration (same instance type as the current one)."""
    state = ctx.state
    config = state.configurations.get(config_id)
    if config is None or config.group_id != group.id:
        raise error("InvalidScalingConfigurationId.NotFound", ctx.action, source="ModifyScalingGroup")
    current = state.configurations.get(group.active_configuration_id or "")
    if current is not None and current.id != config.id and current.instance_type != config.instance_type:
        raise error("InvalidScalingConfigurationId.InstanceTypeMismatch", ctx.action, source="ModifyScalingGroup")


def _switch_configuration(ctx: Ctx, group: GroupRecord, config_id: str) -> None:
    state = ctx.state
    for cid in state.group_configurations.get(group.id, {}):
        conf = state.configurations[cid]
        new_state = "Active" if cid == config_id else "Inactive"
        if conf.lifecycle_state != new_state:
            conf.lifecycle_state = new_state
            state.touch("configuration", cid)
    group.active_configuration_id = config_id


@action("ModifyScalingGroup")
def modify_scaling_group(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    if group.lifecycle_state not in ("Active", "Inactive"):
        raise error("IncorrectScalingGroupStatus", ctx.action, source="EnableScalingGroup")
    min_size, max_size = _check_sizes(ctx, p, group)
    name = validate_name(p, "ScalingGroupName")
    _check_unique_name(ctx, name, group.id)
    cooldown = p.opt_int("DefaultCooldown", low=0, high=86400)
    policies = _removal_policies(p)
    config_id = p.get("ActiveScalingConfigurationId")
    if config_id is not None:
        _active_configuration(ctx, group, config_id)
    if p.get("LaunchTemplateId") is not None:
        raise error("LaunchTemplateSet.NotFound", ctx.action)
    vswitch_ids = p.items("VSwitchIds", max_items=5)
    if len(set(vswitch_ids)) != len(vswitch_ids):
        raise ess_error("InvalidParameter", name="VSwitchIds.N")
    # Everything is valid: apply.
    if config_id is not None:
        _switch_configuration(ctx, group, config_id)
    if name is not None:
        group.name = name
    if min_size is not None:
        group.min_size = min_size
    if max_size is not None:
        group.max_size = max_size
    if cooldown is not None:
        group.default_cooldown = cooldown
    if policies is not None:
        group.removal_policies = policies
    if vswitch_ids and group.vswitch_ids:
        group.vswitch_ids, group.vswitch_id = vswitch_ids, vswitch_ids[0]
        group.zones = [zone_of_vswitch(ctx, v) for v in vswitch_ids]
    ctx.state.touch("group", group.id)
    activities.reconcile(ctx, group)
    return {}


@action("EnableScalingGroup")
def enable_scaling_group(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    if group.lifecycle_state != "Inactive":
        raise error("IncorrectScalingGroupStatus", ctx.action)
    if p.get("LaunchTemplateId") is not None:
        raise error("LaunchTemplateSet.NotFound", ctx.action)
    config_id = p.get("ActiveScalingConfigurationId")
    if config_id is not None:
        _active_configuration(ctx, group, config_id)
    elif group.active_configuration_id is None:
        raise error("MissingActiveScalingConfiguration", ctx.action)
    ids = p.items("InstanceId", max_items=20)
    if ids and group.current_activity_id is not None:
        raise error("ScalingActivityInProgress", ctx.action, source="ExecuteScalingRule")
    instance_type = ctx.state.configurations[config_id or group.active_configuration_id or ""].instance_type
    check_attachable(ctx, group, ids, instance_type=instance_type, source=ctx.action)
    if config_id is not None:
        _switch_configuration(ctx, group, config_id)
    group.lifecycle_state = "Active"
    ctx.state.touch("group", group.id)
    if ids:
        activities.start_attach(ctx, group, ids, [50] * len(ids), cause=(
            f'A user enables the scaling group and attaches "{len(ids)}" ECS instances.'))
    else:
        activities.reconcile(ctx, group)
    return {}


@action("DisableScalingGroup")
def disable_scaling_group(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    if group.lifecycle_state == "Deleting":
        raise error("IncorrectScalingGroupStatus", ctx.action, source="EnableScalingGroup")
    # Disabling an Inactive group is a no-op (no error is documented for it);
    # a running activity continues to its end, as documented.
    if group.lifecycle_state == "Active":
        group.lifecycle_state = "Inactive"
        ctx.state.touch("group", group.id)
    return {}


@action("DeleteScalingGroup")
def delete_scaling_group(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    force = p.opt_bool("ForceDelete") or False
    state = ctx.state
    if not force:
        if group.current_activity_id is not None:
            raise error("ScalingActivityInProgress", ctx.action, source="ExecuteScalingRule")
        if state.group_instances.get(group.id):
            raise error("InstanceInUse", ctx.action)
    delete_group_records(ctx, group)
    return {}


def delete_group_records(ctx: Ctx, group: GroupRecord) -> None:
    """Delete a group with its instances (created ones released, attached ones left running),
    configurations, rules, activities, hooks, lifecycle actions and notification
    configurations; scheduled tasks stay, as documented."""
    state = ctx.state
    for inst in list(state.group_members(group.id)):
        activities.free_instance(state, inst, "release")
    for kind, index in (("configuration", state.group_configurations), ("rule", state.group_rules),
                        ("activity", state.group_activities), ("hook", state.group_hooks)):
        table = state.table(kind)
        for record_id in index.pop(group.id, {}):
            table.pop(record_id, None)
            state.touch(kind, record_id)
    for ari in [a for a, rid in state.rule_by_ari.items() if rid not in state.rules]:
        del state.rule_by_ari[ari]
    for table_kind in ("lifecycle_action", "notification"):
        table = state.table(table_kind)
        for record_id in [k for k, r in table.items() if r.group_id == group.id]:
            del table[record_id]
            state.touch(table_kind, record_id)
    del state.groups[group.id]
    state.group_instances.pop(group.id, None)
    state.touch("group", group.id)
