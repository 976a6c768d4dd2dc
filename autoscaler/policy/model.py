"""The runtime values of the policy engine: snapshot in, proposal and decision out.

A policy is a pure function of a :class:`GroupSnapshot` (the group's capacities, its
metric samples and ``now``) and of its own :class:`PolicyMemory` (what it remembers
between ticks: recommendations inside the stabilization window, recent scale-ins,
consecutive breaches, warm-up and cooldown deadlines, the next fire time). It
returns a :class:`Proposal` that carries the memory to keep. Nothing here reads a
clock or does I/O, so a replay of a month of minutes gives exactly the decisions
the live controller would have made.

:class:`GroupCapacity` is a frozen, validated dataclass (built when the group
changes). The per-tick records (:class:`GroupSnapshot`, :class:`MetricSample`,
:class:`PolicyMemory`, :class:`Proposal`, :class:`Decision` and their parts) are
``NamedTuple`` s (the snapshot validated and keyword-only): just as immutable, and about
three times cheaper to build than frozen dataclasses (whose ``__init__`` goes
through ``object.__setattr__`` for every field), which matters on a replay of tens
of thousands of ticks. Build them with keywords. No pydantic here: it is only used
to load policy files (:mod:`autoscaler.policy.spec`).

Example::

    now = datetime(2024, 1, 1, tzinfo=UTC)
    snapshot = GroupSnapshot(
        now=now,
        capacity=GroupCapacity(total=4, serving=4, min_size=1, max_size=10),
        metrics={MetricRef.prometheus("avg(cpu)"): MetricSample(value=72.0, timestamp=now)},
    )
    proposal = policy.evaluate(snapshot, EMPTY_MEMORY)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = [
    "EMPTY_MEMORY",
    "Action",
    "Decision",
    "Direction",
    "GroupCapacity",
    "GroupMemory",
    "GroupSnapshot",
    "Limit",
    "LimitKind",
    "MetricRef",
    "MetricSample",
    "MetricSource",
    "MetricValue",
    "Policy",
    "PolicyKind",
    "PolicyMemory",
    "Proposal",
    "RuleExecution",
]


class PolicyKind(StrEnum):
    TARGET_TRACKING = "targetTracking"
    STEP = "stepScaling"
    ALARM = "alarm"
    SCHEDULED = "scheduled"
    PREDICTIVE = "predictive"


class MetricSource(StrEnum):
    PROMETHEUS = "prometheus"
    FILE = "file"
    SYNTHETIC = "synthetic"


@dataclass(frozen=True, slots=True, eq=False)
class MetricRef:
    """A source-neutral name of a metric: the key of :attr:`GroupSnapshot.metrics`.

    ``key`` is the PromQL query, ``"<path>#<column>"`` for a file column, or the
    synthetic signal's name. The same policy file runs live, in shadow mode and in a
    replay because only the metric source behind the reference changes.
    """

    source: MetricSource
    key: str
    label: str = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.source.value}:{self.key}")
        object.__setattr__(self, "_hash", hash((self.source, self.key)))

    def __hash__(self) -> int:  # looked up at every tick: hash once
        return self._hash

    def __eq__(self, other: object) -> bool:  # the dataclass's, without building two tuples per lookup
        if self is other:
            return True
        if not isinstance(other, MetricRef):
            return NotImplemented
        return self._hash == other._hash and self.source == other.source and self.key == other.key

    @classmethod
    def prometheus(cls, query: str) -> MetricRef:
        return cls(MetricSource.PROMETHEUS, query)

    @classmethod
    def file(cls, path: str, column: str) -> MetricRef:
        return cls(MetricSource.FILE, f"{path}#{column}")

    @classmethod
    def synthetic(cls, signal: str) -> MetricRef:
        return cls(MetricSource.SYNTHETIC, signal)

    def __str__(self) -> str:
        return self.label


class MetricSample(NamedTuple):
    """One reading of a metric: a scalar ``value``, per-instance values, or both.

    ``per_instance`` maps instance ids to values (a Prometheus vector by instance);
    policies aggregate it themselves so that warming and standby instances can be
    left out. ``timestamp`` is when the value was observed (for staleness).
    """

    timestamp: datetime
    value: float | None = None
    per_instance: Mapping[str, float] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupCapacity:
    """The counts a policy needs, all in instances.

    ``total`` is TotalCapacity (standby included); ``serving`` are InService,
    non-standby instances past warm-up; ``warming`` are launched (pending or in
    service) but not yet past warm-up: capacity already on its way. ``protected``
    and ``standby`` instances are never chosen by a scale-in.
    """

    total: int
    serving: int
    min_size: int
    max_size: int
    warming: int = 0
    standby: int = 0
    protected: int = 0
    default_cooldown: int = 300

    def __post_init__(self) -> None:
        counts = (self.total, self.serving, self.warming, self.standby, self.protected, self.min_size)
        if min(counts) < 0 or self.max_size < self.min_size or self.default_cooldown < 0:
            raise ValueError(f"inconsistent group capacity: {self!r}")
        if self.serving + self.warming + self.standby > self.total:
            raise ValueError(f"serving + warming + standby exceed total: {self!r}")

    @property
    def active(self) -> int:
        """Instances that serve now or soon: serving plus warming."""
        return self.serving + self.warming

    @property
    def idle(self) -> int:
        """Instances counted in TotalCapacity that will not serve (standby, removing...)."""
        return self.total - self.serving - self.warming

    @property
    def scale_in_floor(self) -> int:
        """The lowest total a scale-in can reach: standby and protected instances stay."""
        return min(self.total, self.standby + self.protected)


_NO_RULES: Mapping[str, int | None] = MappingProxyType({})


class _SnapshotFields(NamedTuple):
    now: datetime
    capacity: GroupCapacity
    metrics: Mapping[MetricRef, MetricSample]
    not_serving: frozenset[str]
    rule_cooldowns: Mapping[str, int | None]
    cooldown_until: datetime | None


class GroupSnapshot(_SnapshotFields):
    """Everything a policy may look at, taken at ``now`` (aware UTC).

    ``not_serving`` holds the ids of warming and standby instances, whose
    per-instance metric values are left out of averages. ``rule_cooldowns`` maps a
    rule's ARI to its own Cooldown (None when the rule has none), as read from ESS.
    ``cooldown_until`` is the group's cooldown as the controller knows it from the
    completion of its last alarm or rule activity.

    Built once per tick: a named tuple (keywords only, validated), not a frozen dataclass.
    """

    __slots__ = ()

    def __new__(
        cls, *, now: datetime, capacity: GroupCapacity, metrics: Mapping[MetricRef, MetricSample] | None = None,
        not_serving: frozenset[str] = frozenset(), rule_cooldowns: Mapping[str, int | None] | None = None,
        cooldown_until: datetime | None = None,
    ) -> GroupSnapshot:
        if now.tzinfo is None:
            raise ValueError("GroupSnapshot.now: naive datetime (a timezone is required)")
        return tuple.__new__(cls, (now, capacity, _NO_METRICS if metrics is None else metrics, not_serving,
                                   _NO_RULES if rule_cooldowns is None else rule_cooldowns, cooldown_until))


_NO_METRICS: Mapping[MetricRef, MetricSample] = MappingProxyType({})


class PolicyMemory(NamedTuple):
    """What one policy remembers between ticks; returned updated in its proposal.

    - ``recommendations``: (time, desired total) inside the stabilization window, and
      ``observing_since``: since when the policy has been recommending (a window not
      yet observed whole counts the current total as a recommendation);
    - ``scale_ins``: (time, instances removed) inside the scale-in rate-limit period;
    - ``breaches``: consecutive evaluations in breach (step, alarm);
    - ``warmup_until`` / ``warmup_base``: a step scale-out in warm-up and the total it
      started from, so that a second breach in the same step adds nothing;
    - ``cooldown_until``: no action of this policy before then;
    - ``next_fire`` / ``handled_fire``: the schedule's next fire time and the last fire
      time executed or abandoned;
    - ``extension``: an opaque state owned by a policy kind that needs more (the
      predictive policy's history); it must be immutable too.
    """

    recommendations: tuple[tuple[datetime, int], ...] = ()
    observing_since: datetime | None = None
    scale_ins: tuple[tuple[datetime, int], ...] = ()
    breaches: int = 0
    warmup_until: datetime | None = None
    warmup_base: int | None = None
    cooldown_until: datetime | None = None
    next_fire: datetime | None = None
    handled_fire: datetime | None = None
    extension: object | None = None

    def evolve(self, **changes: Any) -> PolicyMemory:
        return self._replace(**changes)


EMPTY_MEMORY = PolicyMemory()


class _GroupMemoryFields(NamedTuple):
    policies: Mapping[str, PolicyMemory]


class GroupMemory(_GroupMemoryFields):
    """The memories of all policies of one group, by policy name (immutable: a read-only
    view of a private copy, unless given a read-only view already).

    Every tick makes one or two: a named tuple (keywords only), not a frozen dataclass.
    """

    __slots__ = ()

    def __new__(cls, *, policies: Mapping[str, PolicyMemory] | None = None) -> GroupMemory:
        if policies is None:
            policies = _NO_POLICIES
        elif type(policies) is not MappingProxyType:
            policies = MappingProxyType(dict(policies))
        return tuple.__new__(cls, (policies,))

    def get(self, name: str) -> PolicyMemory:
        return self.policies.get(name, EMPTY_MEMORY)


_NO_POLICIES: Mapping[str, PolicyMemory] = MappingProxyType({})


class LimitKind(StrEnum):
    """What kept a proposal or a decision from going where the metrics pointed."""

    TOLERANCE = "tolerance"
    STABILIZATION = "stabilization"
    RATE_LIMIT = "rate_limit"
    COOLDOWN = "cooldown"
    WARMUP = "warmup"
    DISABLE_SCALE_IN = "disable_scale_in"
    MISSING_METRIC = "missing_metric"
    STALE_METRIC = "stale_metric"
    INVALID_METRIC = "invalid_metric"
    NO_SERVING = "no_serving_instances"
    EVALUATION_PERIODS = "evaluation_periods"
    EXPIRED = "launch_expired"
    FLOOR = "floor"
    CAP = "cap"
    MIN_SIZE = "min_size"
    MAX_SIZE = "max_size"
    MAX_CHANGE = "max_change_per_execution"
    MIN_ADJUSTMENT_MAGNITUDE = "min_adjustment_magnitude"
    PROTECTED = "protected"
    FALLBACK = "fallback"
    NOT_ALL_AGREE = "not_all_agree"
    DEFERRED = "deferred"


class Limit(NamedTuple):
    kind: LimitKind
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "detail": self.detail}


class MetricValue(NamedTuple):
    """A metric value a policy used (``value`` is NaN when it was unusable)."""

    metric: str
    value: float

    def to_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "value": None if math.isnan(self.value) else self.value}


class RuleExecution(NamedTuple):
    """Execute an existing scaling rule by its ARI (alarm and scheduled policies).

    ``cooldown`` is the cooldown (seconds) the group observes after the activity:
    the rule's own Cooldown or the group's DefaultCooldown; None for scheduled
    executions, which ESS does not subject to cooldown. ``fire_time`` orders
    executions (earliest first).
    """

    rule_ari: str
    fire_time: datetime
    cooldown: int | None = None


class Proposal(NamedTuple):
    """One policy's opinion at one tick, with its reasons and its new memory.

    ``target`` is a desired TotalCapacity; None means no opinion (the policy neither
    wants a change nor objects to one: an alarm at rest, a schedule outside its
    window). A policy that wants to keep the current total says ``target=total``,
    which vetoes scale-ins of the others. ``floor`` and ``cap`` bound the arbitrated
    result (scheduled windows). ``memory`` is kept whatever happens; ``acted_memory``
    replaces it when the arbitration acts on this proposal.
    """

    policy: str
    kind: PolicyKind
    memory: PolicyMemory
    target: int | None = None
    floor: int | None = None
    cap: int | None = None
    execute: RuleExecution | None = None
    metrics: tuple[MetricValue, ...] = ()
    formula: str = ""
    limits: tuple[Limit, ...] = ()
    acted_memory: PolicyMemory | None = None
    metrics_missing: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "kind": self.kind.value,
            "target": self.target,
            "floor": self.floor,
            "cap": self.cap,
            "execute": self.execute.rule_ari if self.execute else None,
            "metrics": [m.to_dict() for m in self.metrics],
            "formula": self.formula,
            "limits": [limit.to_dict() for limit in self.limits],
        }


@runtime_checkable
class Policy(Protocol):
    """A pure policy: ``evaluate`` reads the snapshot and its memory, nothing else.

    The predictive policy kind plugs in by implementing this protocol too.
    """

    @property
    def name(self) -> str: ...

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal: ...


class Direction(StrEnum):
    OUT = "out"
    IN = "in"
    HOLD = "hold"


class Action(StrEnum):
    NONE = "none"
    SET_CAPACITY = "set_capacity"
    EXECUTE_RULE = "execute_rule"


class Decision(NamedTuple):
    """The arbitrated outcome for one group at one tick.

    ``action`` is one of: nothing; set TotalCapacity to ``target`` (``policy`` names
    the proposal that set it, or ``"schedule"`` / ``"fallback"``); execute the rule
    ``execution.rule_ari``. ``memory`` is the group memory to keep once the action was
    carried out (or in shadow mode); ``memory_unexecuted`` is the one to keep when
    the actuator could not act (the group was busy), so that a cooldown is not
    started and a scheduled execution is retried within its LaunchExpirationTime.
    """

    now: datetime
    action: Action
    direction: Direction
    total: int
    target: int | None
    execution: RuleExecution | None
    policy: str | None
    proposals: tuple[Proposal, ...]
    limits: tuple[Limit, ...]
    memory: GroupMemory
    memory_unexecuted: GroupMemory

    @property
    def summary(self) -> str:
        """One line for a human: what, why (the deciding policy's formula), what limited it."""
        why = next((p.formula for p in self.proposals if p.policy == self.policy), "")
        kinds = sorted({lim.kind.value for lim in self.limits})
        limited = f"; limited by {', '.join(kinds)}" if kinds else ""
        if self.action is Action.EXECUTE_RULE and self.execution is not None:
            return f"execute rule {self.execution.rule_ari} ({self.policy}: {why}){limited}"
        if self.action is Action.SET_CAPACITY:
            verb = "scale out" if self.direction is Direction.OUT else "scale in"
            return f"{verb} {self.total} -> {self.target} ({self.policy}: {why}){limited}"
        held = [f"{p.policy}: {', '.join(sorted({lim.kind.value for lim in p.limits}))}"
                for p in self.proposals if p.limits]
        reasons = f" ({'; '.join(held)})" if held else ""
        return f"hold at {self.total}{reasons}{limited}"

    def to_dict(self) -> dict[str, object]:
        return {
            "now": self.now.isoformat(),
            "action": self.action.value,
            "direction": self.direction.value,
            "total": self.total,
            "target": self.target,
            "rule_ari": self.execution.rule_ari if self.execution else None,
            "policy": self.policy,
            "summary": self.summary,
            "limits": [limit.to_dict() for limit in self.limits],
            "proposals": [p.to_dict() for p in self.proposals],
        }
