"""Helpers shared by the resource-family modules: errors, lookups, names, paging, zones.

Kept apart from the families so that each family module holds only its actions
(STYLE.md habit 1). Nothing here touches the store; everything is O(size of one
group) at most.
"""

from __future__ import annotations

import json
import operator
import re
import zlib
from collections import Counter
from datetime import datetime
from typing import Any

from autoscaler.emulator._registry import Ctx, Params
from autoscaler.emulator._state import EcsInstanceRecord, GroupRecord, ScalingInstanceRecord, State
from autoscaler.ess import EssError, catalogue, ess_error

__all__ = [
    "conflict_error",
    "create_ecs_instance",
    "error",
    "find_group",
    "group_zones",
    "json_list",
    "page",
    "validate_name",
]

# The documented naming rule (2-40 characters; starts with a digit, a letter or a
# Chinese character; then digits, letters, Chinese characters, '_', '-', '.').
_NAME = re.compile(r"^[0-9A-Za-z\u4e00-\u9fa5][0-9A-Za-z\u4e00-\u9fa5_.\-]{1,39}$")


# Rows of the reference that are copy slips, answered from a sibling action's table:
# ExitStandby gives InvalidInstanceId.NotFound the message of Forbidden.Unauthorized.
_SLIPS = {("ExitStandby", "InvalidInstanceId.NotFound"): "EnterStandby"}


def error(code: str, action: str, *, name: str | None = None, source: str | None = None) -> EssError:
    """The documented error ``code``: ``action``'s own row if it has one, else ``source``'s.

    Some codes carry different statuses in different tables (IncorrectInstanceStatus
    is 400 in ESS and 403 in ECS RedeployInstance), so the row is chosen on purpose.
    """
    slip = _SLIPS.get((action, code))
    if slip is not None:
        return ess_error(code, action=slip, name=name)
    if code in catalogue().action_codes(action):
        return ess_error(code, action=action, name=name)
    return ess_error(code, action=source, name=name)


def conflict_error(action: str, first: str, second: str) -> EssError:
    """``InvalidParameter.Conflict`` naming both parameters (its message has two placeholders)."""
    template = error("InvalidParameter.Conflict", action, source="CreateScalingGroup")
    message = template.message.replace("<parameter name>", first, 1).replace("<parameter name>", second, 1)
    return type(template)(template.code, message, http_status=template.http_status)


def validate_name(p: Params, param: str) -> str | None:
    """The optional display name ``param``, checked against the documented naming rule."""
    value = p.get(param)
    if value is not None and not _NAME.match(value):
        raise ess_error("InvalidParameter", name=param)
    return value


def find_group(ctx: Ctx, p: Params, *, param: str = "ScalingGroupId") -> GroupRecord:
    """The group named by ``param`` or ``InvalidScalingGroupId.NotFound``."""
    group = ctx.state.groups.get(p.req(param))
    if group is None:
        raise error("InvalidScalingGroupId.NotFound", ctx.action, source="CreateScalingRule")
    return group


def require_active(ctx: Ctx, group: GroupRecord) -> None:
    if group.lifecycle_state != "Active":
        raise error("IncorrectScalingGroupStatus", ctx.action, source="ExecuteScalingRule")


def require_idle(ctx: Ctx, group: GroupRecord) -> None:
    if group.current_activity_id is not None:
        raise error("ScalingActivityInProgress", ctx.action, source="ExecuteScalingRule")


def json_list(p: Params, param: str, *, max_items: int) -> list[str]:
    """A JSON-array-of-strings parameter (``LoadBalancerIds``, ``DBInstanceIds``)."""
    raw = p.get(param)
    if raw is None:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        raise ess_error("InvalidParameter", name=param) from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ess_error("InvalidParameter", name=param)
    if len(value) > max_items or len(set(value)) != len(value):
        raise ess_error("InvalidParameter", name=param)
    return list(value)


def page(p: Params, items: list[Any], *, default_size: int = 10) -> tuple[list[Any], dict[str, int]]:
    """One page of ``items`` and the paging fields (PageNumber >= 1, PageSize 1-50)."""
    number = p.opt_int("PageNumber", low=1) or 1
    size = p.opt_int("PageSize", low=1, high=50) or default_size
    start = (number - 1) * size
    return items[start : start + size], {"TotalCount": len(items), "PageNumber": number, "PageSize": size}


def zone_of_vswitch(ctx: Ctx, vswitch_id: str) -> str:
    """A VSwitch's zone: from the settings, else a stable hash over the region's zones."""
    known = ctx.settings.vswitch_zones.get(vswitch_id)
    if known is not None:
        return known
    zones = ctx.settings.zones
    return zones[zlib.crc32(vswitch_id.encode()) % len(zones)]


def group_zones(ctx: Ctx, group: GroupRecord) -> list[str]:
    """The group's zones in priority order (the region's zones for a classic group)."""
    return list(group.zones) if group.zones else list(ctx.settings.zones)


_ZONE = operator.attrgetter("zone")


def zone_counts(state: State, group: GroupRecord, zones: list[str]) -> dict[str, int]:
    """Members per zone: ``zones`` first (0 when empty), then other zones in join order."""
    counts = dict.fromkeys(zones, 0)
    # Counted in C; a Counter keeps its keys in first-seen order, so the merge gives the same
    # dict (values and key order) as counting member by member.
    for zone, count in Counter(map(_ZONE, state.group_members(group.id))).items():
        counts[zone] = counts.get(zone, 0) + count
    return counts


def stock_left(ctx: Ctx) -> dict[str, int] | None:
    """Free capacity per zone under ``settings.zone_stock`` (None: unlimited)."""
    stock = ctx.settings.zone_stock
    if stock is None:
        return None
    left = dict(stock)
    for ecs in ctx.state.ecs_instances.values():
        if ecs.zone in left and ecs.status != "Stopped":
            left[ecs.zone] -= 1
    return left


def create_ecs_instance(
    state: State,
    *,
    region: str,
    zone: str,
    instance_type: str,
    now: datetime,
    status: str = "Running",
    vswitch_id: str | None = None,
    vpc_id: str | None = None,
    network_type: str | None = None,
    created_by_ess: bool = False,
    instance_id: str | None = None,
) -> EcsInstanceRecord:
    """Create an ECS instance record (scaling launches it; tests create ones to attach)."""
    record = EcsInstanceRecord(
        instance_id=instance_id or state.new_id("i"),
        region=region,
        zone=zone,
        instance_type=instance_type,
        creation_time=now,
        status=status,
        vswitch_id=vswitch_id,
        vpc_id=vpc_id,
        network_type=network_type or ("vpc" if vswitch_id else "classic"),
        created_by_ess=created_by_ess,
    )
    if record.instance_id in state.ecs_instances:
        raise ValueError(f"instance_id: {record.instance_id} already exists")
    state.ecs_instances[record.instance_id] = record
    state.touch("ecs_instance", record.instance_id)
    return record


def members_by_id(ctx: Ctx, group: GroupRecord, ids: list[str]) -> list[ScalingInstanceRecord]:
    """The group's instances named by ``ids`` or ``InvalidInstanceId.NotFound`` naming the first stranger."""
    if len(set(ids)) != len(ids):
        raise ess_error("InvalidParameter", name="InstanceId.N")
    found: list[ScalingInstanceRecord] = []
    for instance_id in ids:
        inst = ctx.state.instances.get(instance_id)
        if inst is None or inst.group_id != group.id:
            raise error("InvalidInstanceId.NotFound", ctx.action, name=instance_id, source="AttachInstances")
        found.append(inst)
    return found


def instance_ids(p: Params) -> list[str]:
    """``InstanceId.N`` (at most 20 per call, as documented for the instance actions)."""
    ids = p.items("InstanceId", max_items=20)
    if not ids:
        raise ess_error("MissingParameter", name="InstanceId.1")
    if len(ids) > 20:
        raise ess_error("InvalidParameter", name="InstanceId.N")
    return ids
