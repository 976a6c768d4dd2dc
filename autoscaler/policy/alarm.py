"""Alarm policies: a threshold alarm that executes an existing scaling rule by ARI.

This is the ESS alarm task (CloudMonitor ``PutAlarmRule`` bound to a scaling rule)
brought into the policy file: a statistic of a metric (Average, Minimum, Maximum or
Sum over the serving instances' values) is compared with a threshold at every
evaluation; after ``evaluation_count`` consecutive breaches the policy asks to
execute the rule. Afterwards the group cools down for the rule's own Cooldown, or
the group's DefaultCooldown when the rule has none, as ESS does for alarm tasks
("applied after the scaling activity executing this rule completes").

The policy has no capacity opinion of its own: what the rule does is ESS's business
(the rule may be a step or percentage rule defined in the console). A rule
execution is a decision of its own kind, distinct from a target-capacity decision.

While the alarm stays in breach the count stays at ``evaluation_count``, so the rule
runs again as soon as the cooldown has passed (an alarm that stays on keeps
scaling, as in ESS). A missing, stale or NaN value resets the count (CloudMonitor's
"insufficient data" triggers nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from autoscaler.policy._metrics import Statistic, read_metric
from autoscaler.policy.model import (
    GroupSnapshot,
    Limit,
    LimitKind,
    MetricRef,
    MetricValue,
    PolicyKind,
    PolicyMemory,
    Proposal,
    RuleExecution,
)
from autoscaler.policy.step import Comparison

__all__ = ["AlarmPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmPolicy:
    """Example::

    AlarmPolicy(name="cpu-high", metric=MetricRef.prometheus("avg(cpu)"), statistic=Statistic.AVERAGE,
                comparison=Comparison.GE, threshold=80, evaluation_count=3,
                rule_ari="ari:acs:ess:cn-hangzhou:1344371:scalingrule/asr-xxx")
    """

    name: str
    metric: MetricRef
    comparison: Comparison
    threshold: float
    rule_ari: str
    statistic: Statistic = Statistic.AVERAGE
    evaluation_count: int = 3
    metric_max_age: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.evaluation_count < 1:
            raise ValueError(f"policy {self.name}: evaluation_count must be >= 1")

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        value, problem = read_metric(snapshot, self.metric, self.statistic, self.metric_max_age)
        shown = (MetricValue(self.metric.label, value),)
        condition = f"{self.statistic.value} {value:g} {self.comparison.value} {self.threshold:g}"
        if problem is not None:
            return self._proposal(memory.evolve(breaches=0), shown, "insufficient data",
                                  (Limit(problem, str(self.metric)),))
        if not self.comparison.breached(value, self.threshold):
            return self._proposal(memory.evolve(breaches=0), shown, f"{condition}: no", ())
        breaches = min(memory.breaches + 1, self.evaluation_count)
        rested = memory.evolve(breaches=breaches)
        if breaches < self.evaluation_count:
            limit = Limit(LimitKind.EVALUATION_PERIODS, f"breach {breaches} of {self.evaluation_count}")
            return self._proposal(rested, shown, f"{condition}: yes", (limit,))
        now = snapshot.now
        until = _latest(memory.cooldown_until, snapshot.cooldown_until)
        if until is not None and now < until:
            limit = Limit(LimitKind.COOLDOWN, f"group cooling down until {until.isoformat()}")
            return self._proposal(rested, shown, f"{condition}: yes", (limit,))
        cooldown = snapshot.rule_cooldowns.get(self.rule_ari)
        if cooldown is None:
            cooldown = snapshot.capacity.default_cooldown
        execution = RuleExecution(rule_ari=self.rule_ari, fire_time=now, cooldown=cooldown)
        acted = rested.evolve(cooldown_until=now + timedelta(seconds=cooldown))
        formula = f"{condition} for {breaches} periods: execute {self.rule_ari} (cooldown {cooldown}s)"
        return Proposal(
            policy=self.name, kind=PolicyKind.ALARM, memory=rested, execute=execution, metrics=shown,
            formula=formula, acted_memory=acted,
        )

    def _proposal(
        self, memory: PolicyMemory, shown: tuple[MetricValue, ...], formula: str, limits: tuple[Limit, ...]
    ) -> Proposal:
        return Proposal(policy=self.name, kind=PolicyKind.ALARM, memory=memory, metrics=shown,
                        formula=formula, limits=limits)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
