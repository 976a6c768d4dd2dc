"""Builders shared by the policy unit tests: snapshots and memories in one line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from autoscaler.policy import (
    EMPTY_MEMORY,
    GroupCapacity,
    GroupSnapshot,
    MetricRef,
    MetricSample,
    Policy,
    PolicyMemory,
    Proposal,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
CPU = MetricRef.synthetic("cpu")
QUEUE = MetricRef.synthetic("queue")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def snap(
    *,
    now: datetime = T0,
    total: int = 4,
    serving: int | None = None,
    warming: int = 0,
    standby: int = 0,
    protected: int = 0,
    min_size: int = 1,
    max_size: int = 20,
    metrics: Mapping[MetricRef, float | Mapping[str, float] | None] | None = None,
    age: timedelta = timedelta(0),
    not_serving: frozenset[str] = frozenset(),
    rule_cooldowns: Mapping[str, int | None] | None = None,
    cooldown_until: datetime | None = None,
    default_cooldown: int = 300,
) -> GroupSnapshot:
    """A snapshot; ``metrics`` maps a reference to a scalar, a per-instance dict, or None (absent)."""
    if serving is None:
        serving = total - warming - standby
    samples: dict[MetricRef, MetricSample] = {}
    for ref, value in (metrics or {}).items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            samples[ref] = MetricSample(timestamp=now - age, per_instance=dict(value))
        else:
            samples[ref] = MetricSample(timestamp=now - age, value=float(value))
    return GroupSnapshot(
        now=now,
        capacity=GroupCapacity(
            total=total, serving=serving, warming=warming, standby=standby, protected=protected,
            min_size=min_size, max_size=max_size, default_cooldown=default_cooldown,
        ),
        metrics=samples,
        not_serving=not_serving,
        rule_cooldowns=dict(rule_cooldowns or {}),
        cooldown_until=cooldown_until,
    )


def run(policy: Policy, snapshots: list[GroupSnapshot], memory: PolicyMemory = EMPTY_MEMORY,
        *, act: bool = True) -> list[Proposal]:
    """Evaluate ``policy`` on each snapshot in turn, keeping the acted memory when ``act``."""
    out = []
    for s in snapshots:
        proposal = policy.evaluate(s, memory)
        out.append(proposal)
        memory = proposal.acted_memory if act and proposal.acted_memory is not None else proposal.memory
    return out
