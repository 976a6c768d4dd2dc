"""Arbitration: the policies of one group turned into one decision with its reasons.

The rules (DESIGN.md, issue 4):

1. Rule executions by ARI (alarms, scheduled rules) are decisions of their own
   kind. A group runs one activity at a time, so when one is due it is the tick's
   decision (the earliest fire time first); a capacity change waits for a later
   tick (it is recomputed then, nothing is lost).
2. Otherwise, scale out if any policy wants to (the largest target); scale in only
   if every policy with an opinion agrees (the largest of their targets). A policy
   that holds (inside its tolerance, or without usable metrics) vetoes a scale-in.
3. With every capacity policy lacking usable metrics, the group holds, or goes to
   the configured fallback capacity, never below the current total unless the
   operator allows it.
4. Scheduled floors and caps bound the result (a floor wins over a cap).
5. A scale-in never goes below the instances it cannot remove (standby and
   protected ones).
6. The result is clamped and limited by the ESS arithmetic
   (:func:`autoscaler.ess.capacity.apply_adjustment` with TotalCapacity); a target
   equal to the current total is no decision.

The decision carries every proposal, the limits met on the way and a one-line
summary, plus the group memory to keep whether or not the action was carried out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from autoscaler.ess.capacity import AdjustmentType, apply_adjustment, clamp
from autoscaler.ess.errors import NoChangeError
from autoscaler.policy.model import (
    Action,
    Decision,
    Direction,
    GroupMemory,
    GroupSnapshot,
    Limit,
    LimitKind,
    Policy,
    PolicyMemory,
    Proposal,
)
from autoscaler.policy.step import limits_of

__all__ = ["Fallback", "arbitrate", "decide"]

# Members read at every tick, bound once (an Enum class attribute is a metaclass lookup).
_NONE, _EXECUTE_RULE, _HOLD = Action.NONE, Action.EXECUTE_RULE, Direction.HOLD


@dataclass(frozen=True, slots=True, kw_only=True)
class Fallback:
    """Where to go when no capacity policy has a usable metric."""

    capacity: int
    allow_below_current: bool = False


def decide(
    policies: Sequence[Policy], snapshot: GroupSnapshot, memory: GroupMemory, *, fallback: Fallback | None = None
) -> Decision:
    """Evaluate every policy on ``snapshot`` and arbitrate their proposals."""
    proposals = tuple([policy.evaluate(snapshot, memory.get(policy.name)) for policy in policies])
    return arbitrate(proposals, snapshot, fallback=fallback)


def arbitrate(
    proposals: tuple[Proposal, ...], snapshot: GroupSnapshot, *, fallback: Fallback | None = None
) -> Decision:
    """Turn proposals into a :class:`Decision` (see the module docstring for the rules)."""
    total = snapshot.capacity.total
    kept: dict[str, PolicyMemory] = {}
    quiet = True  # nobody wants a change, executes a rule or bounds the group: the common tick
    for p in proposals:
        kept[p.policy] = p.memory
        if p.execute is not None or p.floor is not None or p.cap is not None or p.metrics_missing or (
            p.target is not None and p.target != total
        ):
            quiet = False
    cap = snapshot.capacity
    if quiet and cap.min_size <= total:
        return _decision(snapshot, proposals, _NONE, None, None, [], kept, kept)
    executions = [p for p in proposals if p.execute is not None]
    if executions:
        return _execution_decision(proposals, executions, snapshot, kept)
    target, source, limits = _capacity_target(proposals, snapshot, fallback)
    if target == total:
        return _decision(snapshot, proposals, Action.NONE, None, None, limits, kept, kept)
    direction = Direction.OUT if target > total else Direction.IN
    acted = dict(kept)
    for p in proposals:
        if p.acted_memory is not None and p.target is not None and _direction(p.target, total) is direction:
            acted[p.policy] = p.acted_memory
    return _decision(snapshot, proposals, Action.SET_CAPACITY, target, source, limits, acted, kept)


def _capacity_target(
    proposals: tuple[Proposal, ...], snapshot: GroupSnapshot, fallback: Fallback | None
) -> tuple[int, str | None, list[Limit]]:
    cap = snapshot.capacity
    total = cap.total
    limits: list[Limit] = []
    opinions = [p for p in proposals if p.target is not None]
    target, source = total, None
    outs = [p for p in opinions if p.target is not None and p.target > total]
    if outs:
        winner = max(outs, key=lambda p: p.target or 0)
        target, source = winner.target or total, winner.policy
    elif opinions and all(p.target is not None and p.target < total for p in opinions):
        winner = max(opinions, key=lambda p: p.target or 0)
        target, source = winner.target or 0, winner.policy
    elif any(p.target is not None and p.target < total for p in opinions):
        vetoes = ", ".join(p.policy for p in opinions if p.target is not None and p.target >= total)
        limits.append(Limit(LimitKind.NOT_ALL_AGREE, f"scale-in vetoed by {vetoes}"))
    if fallback is not None and opinions and all(p.metrics_missing for p in opinions):
        wanted = fallback.capacity if fallback.allow_below_current else max(fallback.capacity, total)
        limits.append(Limit(LimitKind.FALLBACK, f"no usable metric: fallback capacity {fallback.capacity}"))
        target, source = wanted, "fallback"
    target, source = _bound(proposals, target, source, limits)
    if target < total and target < cap.scale_in_floor:
        limits.append(Limit(LimitKind.PROTECTED, f"{cap.standby} standby and {cap.protected} protected stay"))
        target = cap.scale_in_floor
    if target == total and total >= cap.min_size:
        # Nobody asked for a change. A group above MaxSize is ESS's to trim (it does so when
        # MaxSize is lowered); the engine never scales in without a policy asking for it.
        return total, source, limits
    if clamp(target, cap.min_size, cap.max_size) == total:
        return total, source, limits  # what apply_adjustment would call NoChange, without the exception
    try:
        result = apply_adjustment(
            total=total, min_size=cap.min_size, max_size=cap.max_size,
            adjustment_type=AdjustmentType.TOTAL, value=target,
        )
    except NoChangeError:
        return total, source, limits
    limits.extend(limits_of(result.limited_by, f"group bounds [{cap.min_size}, {cap.max_size}]"))
    return result.target, source, limits


def _bound(
    proposals: tuple[Proposal, ...], target: int, source: str | None, limits: list[Limit]
) -> tuple[int, str | None]:
    floors = [(p.floor, p.policy) for p in proposals if p.floor is not None]
    caps = [(p.cap, p.policy) for p in proposals if p.cap is not None]
    if caps:
        cap, name = min(caps)
        if target > cap:
            limits.append(Limit(LimitKind.CAP, f"{name} caps the group at {cap}"))
            target, source = cap, name
    if floors:
        floor, name = max(floors)
        if target < floor:
            limits.append(Limit(LimitKind.FLOOR, f"{name} holds at least {floor}"))
            target, source = floor, name
    return target, source


def _execution_decision(
    proposals: tuple[Proposal, ...], executions: list[Proposal], snapshot: GroupSnapshot,
    kept: dict[str, PolicyMemory],
) -> Decision:
    first = min(executions, key=lambda p: p.execute.fire_time if p.execute else snapshot.now)
    limits = [
        Limit(LimitKind.DEFERRED, f"{p.policy}: rule execution waits for {first.policy}")
        for p in executions if p is not first
    ]
    if any(p.target is not None and p.target != snapshot.capacity.total for p in proposals):
        limits.append(Limit(LimitKind.DEFERRED, "capacity change waits for the rule execution"))
    acted = dict(kept)
    if first.acted_memory is not None:
        acted[first.policy] = first.acted_memory
    return _decision(snapshot, proposals, Action.EXECUTE_RULE, None, first.policy, limits, acted, kept)


def _direction(target: int, total: int) -> Direction:
    if target > total:
        return Direction.OUT
    return Direction.IN if target < total else Direction.HOLD


def _decision(
    snapshot: GroupSnapshot, proposals: tuple[Proposal, ...], action: Action, target: int | None,
    source: str | None, limits: list[Limit], acted: dict[str, PolicyMemory], kept: dict[str, PolicyMemory],
) -> Decision:
    total = snapshot.capacity.total
    execution = None
    if action is _EXECUTE_RULE:
        execution = next(p.execute for p in proposals if p.policy == source)
    direction = _HOLD if target is None else _direction(target, total)
    decision_memory = GroupMemory(policies=MappingProxyType(acted))
    unexecuted = decision_memory if acted is kept else GroupMemory(policies=MappingProxyType(kept))
    # Positional (every tick makes one): now, action, direction, total, target, execution,
    # policy, proposals, limits, memory, memory_unexecuted.
    return Decision(snapshot.now, action, direction, total, target, execution, source, proposals, tuple(limits),
                    decision_memory, unexecuted)
