"""SLB, RDS and VServer-group associations of a scaling group (recorded, not simulated).

The emulator does not model SLB or RDS instances, so these actions validate what
the reference states about the call itself (at most 5 per call, at most 5 SLB
instances, 8 RDS instances and 5 VServer groups per scaling group, port and weight
ranges, detaching what is attached) and record the ids. Errors about the state of
the external resources (``IncorrectLoadBalancerStatus``, health checks, VPCs,
whitelists) are never produced; docs/emulator-fidelity.md lists them.
"""

from __future__ import annotations

from typing import Any

from autoscaler.emulator._common import error, find_group
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator.groups import vserver_groups
from autoscaler.ess import ess_error

__all__: list[str] = []

_MAX_PER_CALL = 5
_MAX_LOAD_BALANCERS = 5
_MAX_DB_INSTANCES = 8
_MAX_VSERVER_GROUPS = 5


def _ids(p: Params, prefix: str) -> list[str]:
    ids = p.items(prefix, max_items=_MAX_PER_CALL)
    if not ids:
        raise ess_error("MissingParameter", name=f"{prefix}.1")
    if len(ids) > _MAX_PER_CALL or len(set(ids)) != len(ids):
        raise ess_error("InvalidParameter", name=f"{prefix}.N")
    return ids


@action("AttachLoadBalancers")
def attach_load_balancers(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    ids = _ids(p, "LoadBalancer")
    p.opt_bool("ForceAttach")
    new = [i for i in ids if i not in group.load_balancer_ids]
    if len(group.load_balancer_ids) + len(new) > _MAX_LOAD_BALANCERS:
        raise error("QuotaExceeded.LoadBalancer", ctx.action, name=group.id)
    group.load_balancer_ids.extend(new)
    ctx.state.touch("group", group.id)
    return {}


@action("DetachLoadBalancers")
def detach_load_balancers(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    ids = _ids(p, "LoadBalancer")
    p.opt_bool("ForceDetach")
    for lb in ids:
        if lb not in group.load_balancer_ids:
            raise error("InvalidLoadBalancerId.NotFound", ctx.action, name=lb)
    group.load_balancer_ids = [lb for lb in group.load_balancer_ids if lb not in ids]
    ctx.state.touch("group", group.id)
    return {}


@action("AttachDBInstances")
def attach_db_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    ids = _ids(p, "DBInstance")
    p.opt_bool("ForceAttach")
    new = [i for i in ids if i not in group.db_instance_ids]
    if len(group.db_instance_ids) + len(new) > _MAX_DB_INSTANCES:
        raise error("QuotaExceeded.RDS", ctx.action)
    group.db_instance_ids.extend(new)
    ctx.state.touch("group", group.id)
    return {}


@action("DetachDBInstances")
def detach_db_instances(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    ids = _ids(p, "DBInstance")
    p.opt_bool("ForceDetach")
    for db in ids:
        if db not in group.db_instance_ids:
            raise error("InvalidDBInstanceId.NotFound", ctx.action, name=db)
    group.db_instance_ids = [db for db in group.db_instance_ids if db not in ids]
    ctx.state.touch("group", group.id)
    return {}


@action("AttachVServerGroups")
def attach_vserver_groups(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    rows = vserver_groups(p)
    if not rows:
        raise ess_error("MissingParameter", name="VServerGroup.1.LoadBalancerId")
    p.opt_bool("ForceAttach")
    new = [r for r in rows if not any(e[:3] == r[:3] for e in group.vserver_groups)]
    if len(group.vserver_groups) + len(new) > _MAX_VSERVER_GROUPS:
        raise error("QuotaExceeded.VServerGroup", ctx.action)
    group.vserver_groups.extend(new)
    ctx.state.touch("group", group.id)
    return {}


@action("DetachVServerGroups")
def detach_vserver_groups(ctx: Ctx, p: Params) -> dict[str, Any]:
    group = find_group(ctx, p)
    rows = vserver_groups(p, weights=False)
    if not rows:
        raise ess_error("MissingParameter", name="VServerGroup.1.LoadBalancerId")
    p.opt_bool("ForceDetach")
    keys = [r[:3] for r in rows]
    # An unmatched triple is ignored without an error, as documented.
    group.vserver_groups = [e for e in group.vserver_groups if e[:3] not in keys]
    ctx.state.touch("group", group.id)
    return {}
