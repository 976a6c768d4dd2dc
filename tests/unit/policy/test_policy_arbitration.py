"""Arbitration: out if any, in only if all, floors and caps, clamps, protection, fallback, rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from policy_helpers import CPU, T0, at, snap

from autoscaler.policy import (
    EMPTY_MEMORY,
    Action,
    Direction,
    Fallback,
    GroupMemory,
    GroupSnapshot,
    LimitKind,
    MetricKind,
    PolicyKind,
    PolicyMemory,
    Proposal,
    RuleExecution,
    ScaleInLimit,
    TargetTrackingPolicy,
    TrackedMetric,
    arbitrate,
    decide,
)


@dataclass(frozen=True)
class Opinion:
    """A policy with a fixed opinion (the arbitration only sees proposals)."""

    name: str
    target: int | None = None
    floor: int | None = None
    cap: int | None = None
    rule: str | None = None
    fire_time: datetime = T0
    missing: bool = False

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        execute = None if self.rule is None else RuleExecution(rule_ari=self.rule, fire_time=self.fire_time)
        return Proposal(
            policy=self.name, kind=PolicyKind.TARGET_TRACKING, memory=memory.evolve(breaches=memory.breaches + 1),
            target=self.target, floor=self.floor, cap=self.cap, execute=execute, formula=f"{self.name} says so",
            acted_memory=memory.evolve(breaches=100), metrics_missing=self.missing,
        )


def kinds(decision: object) -> set[LimitKind]:
    return {limit.kind for limit in decision.limits}  # type: ignore[attr-defined]


def test_scale_out_if_any_policy_wants_to_with_the_largest_target() -> None:
    d = decide([Opinion("a", 6), Opinion("b", 9), Opinion("c", 3)], snap(total=5), GroupMemory())
    assert (d.action, d.target, d.policy, d.direction) == (Action.SET_CAPACITY, 9, "b", Direction.OUT)
    assert d.summary.startswith("scale out 5 -> 9 (b: b says so)")


def test_scale_in_only_if_every_policy_agrees_with_the_largest_of_their_targets() -> None:
    d = decide([Opinion("a", 3), Opinion("b", 4)], snap(total=5), GroupMemory())
    assert (d.action, d.target, d.direction) == (Action.SET_CAPACITY, 4, Direction.IN)
    vetoed = decide([Opinion("a", 3), Opinion("b", 5)], snap(total=5), GroupMemory())
    assert vetoed.action is Action.NONE
    assert LimitKind.NOT_ALL_AGREE in kinds(vetoed)
    assert "vetoed by b" in vetoed.limits[0].detail


def test_a_policy_without_an_opinion_does_not_veto() -> None:
    d = decide([Opinion("a", 3), Opinion("quiet")], snap(total=5), GroupMemory())
    assert d.target == 3


def test_a_target_equal_to_the_total_is_no_decision() -> None:
    d = decide([Opinion("a", 5)], snap(total=5), GroupMemory())
    assert (d.action, d.target, d.direction) == (Action.NONE, None, Direction.HOLD)
    assert d.summary == "hold at 5"


def test_floors_and_caps_bound_the_result() -> None:
    capped = decide([Opinion("a", 50), Opinion("office", cap=40, floor=10)], snap(total=20, max_size=100),
                    GroupMemory())
    assert capped.target == 40 and capped.policy == "office"
    assert LimitKind.CAP in kinds(capped)
    floored = decide([Opinion("a", 2), Opinion("office", floor=10)], snap(total=4), GroupMemory())
    assert floored.target == 10 and LimitKind.FLOOR in kinds(floored)
    # With no capacity opinion at all, the floor alone raises the group.
    alone = decide([Opinion("office", floor=10)], snap(total=4), GroupMemory())
    assert alone.target == 10


def test_a_floor_wins_over_a_cap() -> None:
    d = decide([Opinion("x", floor=12), Opinion("y", cap=8)], snap(total=10), GroupMemory())
    assert d.target == 12


def test_the_result_is_clamped_to_min_size_and_max_size() -> None:
    high = decide([Opinion("a", 30)], snap(total=5, max_size=20), GroupMemory())
    assert high.target == 20 and LimitKind.MAX_SIZE in kinds(high)
    low = decide([Opinion("a", 0)], snap(total=5, min_size=2), GroupMemory())
    assert low.target == 2 and LimitKind.MIN_SIZE in kinds(low)
    at_max = decide([Opinion("a", 30)], snap(total=20, max_size=20), GroupMemory())
    assert at_max.action is Action.NONE


def test_a_group_below_min_size_is_brought_up_even_when_nobody_asks() -> None:
    d = decide([Opinion("a", 0)], snap(total=0, min_size=1), GroupMemory())
    assert d.target == 1


def test_protected_and_standby_instances_bound_a_scale_in() -> None:
    d = decide([Opinion("a", 1)], snap(total=6, protected=3, standby=1), GroupMemory())
    assert d.target == 4 and LimitKind.PROTECTED in kinds(d)
    all_protected = decide([Opinion("a", 1)], snap(total=6, protected=6), GroupMemory())
    assert all_protected.action is Action.NONE
    assert LimitKind.PROTECTED in kinds(all_protected)


def test_with_all_metrics_missing_the_group_holds() -> None:
    d = decide([Opinion("a", 5, missing=True)], snap(total=5), GroupMemory())
    assert d.action is Action.NONE


def test_the_fallback_capacity_never_goes_below_the_current_total_unless_allowed() -> None:
    up = decide([Opinion("a", 5, missing=True)], snap(total=5), GroupMemory(), fallback=Fallback(capacity=8))
    assert (up.target, up.policy) == (8, "fallback")
    kept = decide([Opinion("a", 5, missing=True)], snap(total=5), GroupMemory(), fallback=Fallback(capacity=2))
    assert kept.action is Action.NONE and LimitKind.FALLBACK in kinds(kept)
    down = decide([Opinion("a", 5, missing=True)], snap(total=5), GroupMemory(),
                  fallback=Fallback(capacity=2, allow_below_current=True))
    assert down.target == 2


def test_the_fallback_is_not_used_while_one_policy_still_sees_its_metric() -> None:
    d = decide([Opinion("a", 5, missing=True), Opinion("b", 7)], snap(total=5), GroupMemory(),
               fallback=Fallback(capacity=12))
    assert d.target == 7


def test_a_rule_execution_is_a_decision_of_its_own_kind_and_the_earliest_goes_first() -> None:
    policies = [Opinion("late", rule="ari:b", fire_time=at(1)), Opinion("early", rule="ari:a", fire_time=at(0)),
                Opinion("cpu", 9)]
    d = decide(policies, snap(now=at(2), total=5), GroupMemory())
    assert d.action is Action.EXECUTE_RULE and d.target is None
    assert d.execution is not None and d.execution.rule_ari == "ari:a" and d.policy == "early"
    assert LimitKind.DEFERRED in kinds(d)
    assert d.summary.startswith("execute rule ari:a (early:")


def test_memory_records_the_action_only_for_the_policies_acted_on() -> None:
    d = decide([Opinion("a", 9), Opinion("b", 3)], snap(total=5), GroupMemory())
    assert d.memory.get("a").breaches == 100  # acted
    assert d.memory.get("b").breaches == 1  # observed only
    assert d.memory_unexecuted.get("a").breaches == 1
    quiet = decide([Opinion("a", 5)], snap(total=5), GroupMemory())
    assert quiet.memory is quiet.memory_unexecuted


def test_group_memory_is_read_only() -> None:
    memory = GroupMemory(policies={"a": EMPTY_MEMORY})
    assert memory.get("a") is EMPTY_MEMORY and memory.get("zzz") is EMPTY_MEMORY
    with pytest.raises(TypeError):
        memory.policies["b"] = EMPTY_MEMORY  # type: ignore[index]


def test_a_decision_serialises_with_its_reasons() -> None:
    d = decide([Opinion("a", 30)], snap(total=5, max_size=20), GroupMemory())
    data = d.to_dict()
    assert data["target"] == 20 and data["action"] == "set_capacity"
    assert {"kind": "max_size", "detail": "group bounds [1, 20]"} in data["limits"]  # type: ignore[operator]
    assert data["proposals"][0]["formula"] == "a says so"  # type: ignore[index]


def test_a_target_tracking_policy_through_decide_over_time() -> None:
    policy = TargetTrackingPolicy(
        name="cpu", metrics=(TrackedMetric(ref=CPU, kind=MetricKind.UTILIZATION, target=60.0),),
        scale_in=ScaleInLimit(stabilization_window=120, max_instances=1, period=60),
    )
    memory, total, history = GroupMemory(), 4, []
    for minute, value in enumerate([90, 90, 20, 20, 20, 20, 20, 20]):
        d = decide([policy], snap(now=at(minute), total=total, metrics={CPU: value}), memory)
        memory = d.memory
        total = d.target if d.target is not None else total
        history.append(total)
    # Out at once to 6; in after the 2-minute window, one instance per minute.
    assert history == [6, 9, 9, 9, 8, 7, 6, 5]


def test_arbitrate_accepts_ready_made_proposals() -> None:
    proposal = Proposal(policy="p", kind=PolicyKind.TARGET_TRACKING, memory=EMPTY_MEMORY, target=7)
    assert arbitrate((proposal,), snap(total=5)).target == 7
