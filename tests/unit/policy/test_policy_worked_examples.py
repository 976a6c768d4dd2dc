"""The worked examples of docs/policies.md, run against the shipped policy files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from policy_helpers import snap

from autoscaler.policy import Action, AlarmPolicy, GroupMemory, PolicySet, load_policy_file

POLICIES = Path(__file__).resolve().parents[3] / "policies"
MONDAY_8 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def load(name: str) -> PolicySet:
    return load_policy_file(POLICIES / name)


def minute(n: int) -> datetime:
    return MONDAY_8 + timedelta(minutes=n)


def test_web_cpu_scales_out_at_once_then_in_after_the_window_within_the_rate_limit() -> None:
    policy_set = load("web-cpu.yaml")
    (cpu,) = policy_set.metric_refs
    first = policy_set.decide(snap(now=minute(0), total=4, metrics={cpu: 90}), GroupMemory())
    assert first.target == 6
    assert first.summary == "scale out 4 -> 6 (cpu: ceil(4 * 90 / 60) = 6 active + 0 idle = 6)"
    warming = policy_set.decide(snap(now=minute(1), total=6, warming=2, metrics={cpu: 90}), first.memory)
    assert warming.action is Action.NONE
    memory, total, totals = GroupMemory(), 8, []
    for n in range(10):
        decision = policy_set.decide(snap(now=minute(10 + n), total=total, metrics={cpu: 30}), memory)
        memory, total = decision.memory, decision.target or total
        totals.append(total)
    assert totals == [8, 8, 8, 8, 8, 6, 4, 4, 4, 4]


def test_queue_steps_acts_once_per_step_during_warm_up_and_trims_ten_percent() -> None:
    policy_set = load("queue-steps.yaml")
    (queue,) = policy_set.metric_refs
    d0 = policy_set.decide(snap(now=minute(0), total=4, metrics={queue: 1200}), GroupMemory())
    d1 = policy_set.decide(snap(now=minute(1), total=4, metrics={queue: 1200}), d0.memory)
    d2 = policy_set.decide(snap(now=minute(2), total=7, warming=3, metrics={queue: 1400}), d1.memory)
    assert (d0.target, d1.target, d2.action) == (None, 7, Action.NONE)
    memory, targets = GroupMemory(), []
    for n in range(5):
        decision = policy_set.decide(snap(now=minute(10 + n), total=7, metrics={queue: 70}), memory)
        memory = decision.memory
        targets.append(decision.target)
    assert targets == [None, None, None, None, 6]


def test_office_hours_floor_and_cap_bound_target_tracking_on_weekdays_only() -> None:
    policy_set = load("office-hours.yaml")
    (requests,) = policy_set.metric_refs
    morning = policy_set.decide(snap(now=MONDAY_8, total=4, max_size=100, metrics={requests: 180}), GroupMemory())
    rush = policy_set.decide(snap(now=MONDAY_8.replace(hour=14), total=20, max_size=100,
                                  metrics={requests: 2750}), GroupMemory())
    saturday = policy_set.decide(snap(now=MONDAY_8 + timedelta(days=5), total=4, max_size=100,
                                      metrics={requests: 180}), GroupMemory())
    assert (morning.target, rush.target, saturday.target) == (10, 40, None)


def test_alarm_rule_executes_after_three_breaches_and_again_after_the_rules_cooldown() -> None:
    policy_set = load("alarm-rule.yaml")
    (cpu,) = policy_set.metric_refs
    alarm = policy_set.policies[0]
    assert isinstance(alarm, AlarmPolicy)
    memory, executed = GroupMemory(), []
    for n, value in enumerate([85, 86, 90, 88, 88, 88, 88, 88]):
        s = snap(now=minute(n), total=7, metrics={cpu: value}, rule_cooldowns={alarm.rule_ari: 300})
        decision = policy_set.decide(s, memory)
        memory = decision.memory
        executed.append(decision.action is Action.EXECUTE_RULE)
    assert executed == [False, False, True, False, False, False, False, True]
