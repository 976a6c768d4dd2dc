"""Scaling rules: Create, Modify, Delete and DescribeScalingRules.

A rule's ARI has the documented form ``ari:acs:ess:{region}:{account}:scalingrule/{id}``.
``MinAdjustmentMagnitude`` is newer than the 2019 reference: it is accepted with
``PercentChangeInCapacity`` only, in [1, 1000] (the live API's range), and feeds
the capacity arithmetic (docs/emulator-fidelity.md).
ModifyScalingRule on an unknown rule answers ``InvalidScalingRuleId.NotFound``
(the reference's table for it lists the group's NotFound code, a copy slip).
"""

from __future__ import annotations

from typing import Any

from autoscaler.emulator._common import error, find_group, page, validate_name
from autoscaler.emulator._registry import Ctx, Params, action
from autoscaler.emulator._state import RuleRecord
from autoscaler.emulator.execute import normalise_ari
from autoscaler.ess import AdjustmentType, ess_error, validate_adjustment
from autoscaler.ess.model import ScalingRule, scaling_rule_ari

__all__ = ["rule_model"]

_TYPES = tuple(t.value for t in AdjustmentType)


def _check_unique_name(ctx: Ctx, group_id: str, name: str | None, own_id: str | None) -> None:
    if name is None:
        return
    for rid in ctx.state.group_rules.get(group_id, {}):
        if ctx.state.rules[rid].name == name and rid != own_id:
            raise error("InvalidScalingRuleName.Duplicate", ctx.action, name="ScalingRuleName",
                        source="CreateScalingRule")


def _check_adjustment(adjustment_type: str, value: int, magnitude: int | None) -> None:
    validate_adjustment(AdjustmentType(adjustment_type), value)
    if magnitude is not None and adjustment_type != AdjustmentType.PERCENT:
        raise ess_error("InvalidParameter", name="MinAdjustmentMagnitude")


@action("CreateScalingRule")
def create_scaling_rule(ctx: Ctx, p: Params) -> dict[str, Any]:
    state, settings = ctx.state, ctx.settings
    group = find_group(ctx, p)
    adjustment_type = p.choice("AdjustmentType", _TYPES)
    assert adjustment_type is not None  # required: checked by the service
    value = p.req_int("AdjustmentValue")
    magnitude = p.opt_int("MinAdjustmentMagnitude", low=1, high=1000)
    _check_adjustment(adjustment_type, value, magnitude)
    cooldown = p.opt_int("Cooldown", low=0, high=86400)
    name = validate_name(p, "ScalingRuleName")
    _check_unique_name(ctx, group.id, name, None)
    if len(state.group_rules.get(group.id, {})) >= settings.max_rules_per_group:
        raise error("QuotaExceeded.ScalingRule", ctx.action)
    rule_id = state.new_id("asr")
    ari = scaling_rule_ari(settings.region, settings.account_id, rule_id)
    state.rules[rule_id] = RuleRecord(
        id=rule_id, group_id=group.id, name=name or rule_id, ari=ari, adjustment_type=adjustment_type,
        adjustment_value=value, cooldown=cooldown, min_adjustment_magnitude=magnitude,
    )
    state.index(state.group_rules, group.id)[rule_id] = None
    state.rule_by_ari[normalise_ari(ari)] = rule_id
    state.touch("rule", rule_id)
    return {"ScalingRuleId": rule_id, "ScalingRuleAri": ari}


def _find(ctx: Ctx, p: Params) -> RuleRecord:
    rule = ctx.state.rules.get(p.req("ScalingRuleId"))
    if rule is None:
        raise error("InvalidScalingRuleId.NotFound", ctx.action, source="DeleteScalingRule")
    return rule


@action("ModifyScalingRule")
def modify_scaling_rule(ctx: Ctx, p: Params) -> dict[str, Any]:
    rule = _find(ctx, p)
    adjustment_type = p.choice("AdjustmentType", _TYPES) or rule.adjustment_type
    value = p.opt_int("AdjustmentValue")
    value = rule.adjustment_value if value is None else value
    magnitude = p.opt_int("MinAdjustmentMagnitude", low=1, high=1000)
    if magnitude is None and adjustment_type == AdjustmentType.PERCENT:
        magnitude = rule.min_adjustment_magnitude
    _check_adjustment(adjustment_type, value, magnitude)
    cooldown = p.opt_int("Cooldown", low=0, high=86400)
    name = validate_name(p, "ScalingRuleName")
    _check_unique_name(ctx, rule.group_id, name, rule.id)
    rule.adjustment_type, rule.adjustment_value, rule.min_adjustment_magnitude = adjustment_type, value, magnitude
    if cooldown is not None:
        rule.cooldown = cooldown
    if name is not None:
        rule.name = name
    ctx.state.touch("rule", rule.id)
    return {"ScalingRuleId": rule.id, "ScalingRuleAri": rule.ari}


@action("DeleteScalingRule")
def delete_scaling_rule(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    rule = _find(ctx, p)
    del state.rules[rule.id]
    state.group_rules.get(rule.group_id, {}).pop(rule.id, None)
    state.rule_by_ari.pop(normalise_ari(rule.ari), None)
    state.touch("rule", rule.id)
    return {}


def rule_model(rule: RuleRecord) -> ScalingRule:
    return ScalingRule(
        scaling_rule_id=rule.id, scaling_group_id=rule.group_id, scaling_rule_name=rule.name,
        cooldown=rule.cooldown, adjustment_type=rule.adjustment_type, adjustment_value=rule.adjustment_value,
        min_adjustment_magnitude=rule.min_adjustment_magnitude, scaling_rule_ari=rule.ari,
    )


@action("DescribeScalingRules")
def describe_scaling_rules(ctx: Ctx, p: Params) -> dict[str, Any]:
    state = ctx.state
    group_id = p.get("ScalingGroupId")
    ids = p.items("ScalingRuleId", max_items=10)
    names = p.items("ScalingRuleName", max_items=10)
    aris = {normalise_ari(a) for a in p.items("ScalingRuleAri", max_items=10)}
    if group_id is not None:
        pool = [state.rules[r] for r in state.group_rules.get(group_id, {})]
    else:
        pool = sorted(state.rules.values(), key=lambda r: r.id)
    if ids:
        pool = [r for r in pool if r.id in ids]
    if names:
        pool = [r for r in pool if r.name in names]
    if aris:
        pool = [r for r in pool if normalise_ari(r.ari) in aris]
    items, paging = page(p, pool)
    return {**paging, "ScalingRules": {"ScalingRule": [rule_model(r).to_wire() for r in items]}}
