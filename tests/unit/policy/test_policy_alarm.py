"""Alarm policies: N consecutive breaches execute a rule by ARI, then the group cools down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from policy_helpers import CPU, at, run, snap

from autoscaler.policy import EMPTY_MEMORY, AlarmPolicy, Comparison, LimitKind, Statistic

ARI = "ari:acs:ess:cn-hangzhou:1344371:scalingrule/asr-add"


def alarm(**kwargs: Any) -> AlarmPolicy:
    defaults: dict[str, Any] = {"statistic": Statistic.AVERAGE, "evaluation_count": 3}
    defaults.update(kwargs)
    return AlarmPolicy(name="cpu-high", metric=CPU, comparison=Comparison.GE, threshold=80,
                       rule_ari=ARI, **defaults)


def test_three_consecutive_breaches_execute_the_rule() -> None:
    proposals = run(alarm(), [snap(now=at(m), metrics={CPU: 85}) for m in range(3)], act=False)
    assert [p.execute is not None for p in proposals] == [False, False, True]
    execution = proposals[2].execute
    assert execution is not None and execution.rule_ari == ARI
    assert proposals[2].target is None  # a rule execution, not a capacity opinion


def test_a_quiet_period_resets_the_count() -> None:
    values = [85, 85, 79.9, 85, 85, 85]
    proposals = run(alarm(), [snap(now=at(m), metrics={CPU: v}) for m, v in enumerate(values)], act=False)
    assert [p.execute is not None for p in proposals] == [False, False, False, False, False, True]


def test_exactly_at_the_threshold_breaches_greater_or_equal() -> None:
    assert alarm(evaluation_count=1).evaluate(snap(metrics={CPU: 80}), EMPTY_MEMORY).execute is not None
    gt = AlarmPolicy(name="a", metric=CPU, comparison=Comparison.GT, threshold=80, rule_ari=ARI, evaluation_count=1)
    assert gt.evaluate(snap(metrics={CPU: 80}), EMPTY_MEMORY).execute is None


def test_statistics_reduce_the_serving_instances_values() -> None:
    vector = {"i-1": 70.0, "i-2": 95.0, "i-3": 100.0}
    s = snap(total=3, serving=2, warming=1, metrics={CPU: vector}, not_serving=frozenset({"i-3"}))
    assert alarm(statistic=Statistic.MAXIMUM, evaluation_count=1).evaluate(s, EMPTY_MEMORY).execute is not None
    assert alarm(statistic=Statistic.MINIMUM, evaluation_count=1).evaluate(s, EMPTY_MEMORY).execute is None
    average = alarm(statistic=Statistic.AVERAGE, evaluation_count=1).evaluate(s, EMPTY_MEMORY)
    assert average.metrics[0].value == 82.5 and average.execute is not None


def test_the_rules_own_cooldown_is_honoured() -> None:
    policy = alarm(evaluation_count=1)
    snaps = [snap(now=at(m), metrics={CPU: 90}, rule_cooldowns={ARI: 120}) for m in range(5)]
    proposals = run(policy, snaps)
    assert [p.execute is not None for p in proposals] == [True, False, True, False, True]
    assert proposals[0].execute is not None and proposals[0].execute.cooldown == 120
    assert LimitKind.COOLDOWN in {lim.kind for lim in proposals[1].limits}


def test_without_a_rule_cooldown_the_groups_default_cooldown_applies() -> None:
    policy = alarm(evaluation_count=1)
    snaps = [snap(now=at(m), metrics={CPU: 90}, rule_cooldowns={ARI: None}, default_cooldown=180) for m in range(4)]
    proposals = run(policy, snaps)
    assert [p.execute is not None for p in proposals] == [True, False, False, True]


def test_the_cooldown_starts_only_when_the_execution_happened() -> None:
    policy = alarm(evaluation_count=1)
    proposals = run(policy, [snap(now=at(m), metrics={CPU: 90}) for m in range(3)], act=False)
    assert all(p.execute is not None for p in proposals)


def test_the_groups_cooldown_from_the_controller_is_honoured() -> None:
    s = snap(metrics={CPU: 90}, cooldown_until=at(0) + timedelta(seconds=30))
    assert alarm(evaluation_count=1).evaluate(s, EMPTY_MEMORY).execute is None


def test_missing_data_resets_the_count_and_executes_nothing() -> None:
    values: list[float | None] = [90, 90, None, 90, 90]
    proposals = run(alarm(), [snap(now=at(m), metrics={CPU: v}) for m, v in enumerate(values)], act=False)
    assert not any(p.execute for p in proposals)
    assert LimitKind.MISSING_METRIC in {lim.kind for lim in proposals[2].limits}
    assert proposals[2].target is None
