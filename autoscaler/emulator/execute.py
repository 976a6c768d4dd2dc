"""ExecuteScalingRule: capacity arithmetic, preconditions and ClientToken idempotence.

Order of the checks, chosen so that a retry is always safe: the ClientToken first
(the same token and parameters return the first call's ScalingActivityId even when
the group is busy with that very activity; other parameters give
``IdempotentParameterMismatch``), then the rule (``InvalidScalingRuleAri.NotFound``),
the group state (``IncorrectScalingGroupStatus``), a running activity
(``ScalingActivityInProgress``), the arithmetic of :mod:`autoscaler.ess.capacity`
(``IncorrectCapacity.NoChange``) and the 1,000 auto-created instance quota
(``QuotaExceeded.ScalingInstance``). Called through the API the rule bypasses the
cooldown, as documented.

:func:`execute_rule` is also what the scheduled-task family calls when a task fires.
"""

from __future__ import annotations

import hashlib
from typing import Any

from autoscaler.emulator._common import error, require_active, require_idle
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import ActivityRecord, RuleRecord, TokenRecord
from autoscaler.emulator.activities import choose_instances, start_scale_in, start_scale_out
from autoscaler.ess import AdjustmentType, apply_adjustment, ess_error

__all__ = ["execute_rule", "find_rule_by_ari", "normalise_ari"]

_MAX_TOKEN = 64


def normalise_ari(ari: str) -> str:
    """The reference spells the resource type ``scalingrule/`` and ``scalingRule/``; both name one rule."""
    head, sep, rule_id = ari.strip().rpartition("/")
    if not sep:
        return ari.strip()
    prefix, colon, resource = head.rpartition(":")
    return f"{prefix}{colon}{resource.lower()}/{rule_id}"


def find_rule_by_ari(ctx: Ctx, ari: str) -> RuleRecord | None:
    return _rule_at(ctx, normalise_ari(ari))


def _rule_at(ctx: Ctx, normalised_ari: str) -> RuleRecord | None:
    rule_id = ctx.state.rule_by_ari.get(normalised_ari)
    return ctx.state.rules.get(rule_id) if rule_id is not None else None


def _fingerprint(ari: str) -> str:
    """The request fingerprint a ClientToken is bound to: the hash of the normalised ARI."""
    return hashlib.sha256(ari.encode()).hexdigest()


def execute_rule(ctx: Ctx, rule: RuleRecord, *, cause_prefix: str) -> ActivityRecord:
    """Run ``rule`` now: checks the group, computes the target, starts the activity."""
    state = ctx.state
    group = state.groups[rule.group_id]
    require_active(ctx, group)
    require_idle(ctx, group)
    total = len(state.group_instances.get(group.id, {}))
    result = apply_adjustment(
        total=total, min_size=group.min_size, max_size=group.max_size,
        adjustment_type=AdjustmentType(rule.adjustment_type), value=rule.adjustment_value,
        min_adjustment_magnitude=rule.min_adjustment_magnitude,
    )
    cause = (f'{cause_prefix} scaling rule "{rule.name}", changing the Total Capacity '
             f'from "{total}" to "{result.target}".')
    if result.delta > 0:
        if state.auto_created_count + result.delta > ctx.settings.max_auto_created_instances:
            raise error("QuotaExceeded.ScalingInstance", ctx.action, source="ExecuteScalingRule")
        return start_scale_out(ctx, group, result.delta, cause=cause, cooldown=rule.cooldown)
    chosen = choose_instances(state, group, -result.delta)
    if not chosen:
        # Only standby, protected or busy instances are left: nothing can change.
        raise ess_error("IncorrectCapacity.NoChange")
    if len(chosen) != -result.delta:
        cause = (f'{cause_prefix} scaling rule "{rule.name}", changing the Total Capacity '
                 f'from "{total}" to "{total - len(chosen)}".')
    return start_scale_in(ctx, group, chosen, cause=cause, cooldown=rule.cooldown)


@action("ExecuteScalingRule")
def execute_scaling_rule(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    token = p.get("ClientToken")
    if token is not None and (len(token) > _MAX_TOKEN or not token.isascii()):
        raise ess_error("InvalidParameter", name="ClientToken")
    ari = normalise_ari(p.req("ScalingRuleAri"))  # normalised once, for the fingerprint and the lookup
    fingerprint = _fingerprint(ari)
    if token is not None and token in state.tokens:
        seen = state.tokens[token]
        if seen.fingerprint != fingerprint:
            raise ess_error("IdempotentParameterMismatch")
        return {"ScalingActivityId": seen.activity_id}
    rule = _rule_at(ctx, ari)
    if rule is None:
        raise error("InvalidScalingRuleAri.NotFound", ctx.action)
    activity = execute_rule(ctx, rule, cause_prefix="A user executes")
    if token is not None:
        state.tokens[token] = TokenRecord(id=token, fingerprint=fingerprint, activity_id=activity.id,
                                          creation_time=ctx.now)
        state.touch("token", token)
    return {"ScalingActivityId": activity.id}
