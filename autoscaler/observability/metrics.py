"""Every ``autoscaler_*`` metric, declared once, on an injected registry.

Two kinds, the client_python way (STYLE.md habit 14):

- **Events** (decisions, ESS requests, tick durations, alerts, notifications,
  maintenance failures) are counters and a histogram that the code updates as they
  happen, through the small methods of :class:`AutoscalerMetrics`. Label children are
  cached in plain dicts: with 1,000 groups ticking every 15 s the per-tick cost is a
  dict lookup and an increment, not ``labels()`` validation.
- **State** (desired and actual capacity, metric values, maintenance, protection, zone
  imbalance, the last good tick) is read at scrape time by :class:`StateCollector`
  from a :class:`StateProvider`. The controller publishes one :class:`GroupState` per
  tick into a :class:`GroupBoard` (one dict assignment); nothing is stored twice and a
  removed group disappears from ``/metrics`` instead of lingering as a stale gauge.

Labels are bounded: group, policy, metric, action, code, direction, result, state,
source, channel, step. Never an instance id (per-instance detail belongs in logs).
Nothing here touches the global default registry.

Example::

    registry = CollectorRegistry()
    board = GroupBoard()
    metrics = AutoscalerMetrics(registry, state=board)
    metrics.decision(group="web", policy="cpu", direction="out", result="executed")
    board.publish(GroupState(group="web", desired_capacity=4, total=4, serving=3, pending=1, standby=0))
    registry.get_sample_value("autoscaler_capacity", {"group": "web", "state": "serving"})  # 3.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, TypeVar, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

__all__ = [
    "CATALOGUE",
    "DECISION_DIRECTIONS",
    "DECISION_RESULTS",
    "AutoscalerMetrics",
    "DecisionDirection",
    "DecisionResult",
    "GroupBoard",
    "GroupState",
    "MetricSpec",
    "StateCollector",
    "StateProvider",
]

DecisionDirection = Literal["out", "in"]
DecisionResult = Literal["executed", "shadow", "suppressed"]
DECISION_DIRECTIONS: tuple[str, ...] = get_args(DecisionDirection)
DECISION_RESULTS: tuple[str, ...] = get_args(DecisionResult)
CAPACITY_STATES = ("total", "serving", "pending", "standby")

# A tick is mostly I/O (describe calls, metric queries): from a few ms on the embedded
# emulator to seconds against a slow cloud endpoint; the evaluation interval is 15 s.
TICK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


class MetricSpec(NamedTuple):
    """One row of the catalogue: what ``/metrics`` exposes (used by docs and tests)."""

    name: str
    kind: Literal["counter", "gauge", "histogram"]
    labels: tuple[str, ...]
    unit: str
    help: str
    source: Literal["code", "collector"]


CATALOGUE: tuple[MetricSpec, ...] = (
    MetricSpec("autoscaler_desired_capacity", "gauge", ("group",), "instances",
               "Desired TotalCapacity the controller last computed for the group.", "collector"),
    MetricSpec("autoscaler_capacity", "gauge", ("group", "state"), "instances",
               "Instances of the group by state: total, serving, pending, standby.", "collector"),
    MetricSpec("autoscaler_metric_value", "gauge", ("group", "policy", "metric"), "",
               "Last usable value of each policy metric, in the metric's own unit.", "collector"),
    MetricSpec("autoscaler_last_successful_tick_timestamp_seconds", "gauge", ("group",), "seconds",
               "Unix time of the group's last evaluation that completed without error.", "collector"),
    MetricSpec("autoscaler_group_min_size", "gauge", ("group",), "instances",
               "MinSize of the scaling group, as last described.", "collector"),
    MetricSpec("autoscaler_group_max_size", "gauge", ("group",), "instances",
               "MaxSize of the scaling group, as last described (alerts compare capacity with it).", "collector"),
    MetricSpec("autoscaler_instances_in_maintenance", "gauge", ("group",), "instances",
               "Instances in standby for maintenance (EnterStandby, RedeployInstance, ExitStandby).", "collector"),
    MetricSpec("autoscaler_protected_instances", "gauge", ("group",), "instances",
               "Instances protected from scale-in.", "collector"),
    MetricSpec("autoscaler_zone_imbalance", "gauge", ("group",), "instances",
               "Largest minus smallest instance count across the group's zones.", "collector"),
    MetricSpec("autoscaler_decisions_total", "counter", ("group", "policy", "direction", "result"), "",
               "Scaling decisions by direction (out, in) and result (executed, shadow, suppressed).", "code"),
    MetricSpec("autoscaler_ess_requests_total", "counter", ("action", "code"), "",
               "ESS API requests by action and result code (OK, an ESS error code, or Transport).", "code"),
    MetricSpec("autoscaler_tick_duration_seconds", "histogram", ("group",), "seconds",
               "Duration of one evaluation of one group.", "code"),
    MetricSpec("autoscaler_metric_source_up", "gauge", ("source",), "",
               "1 when the metric source's last query succeeded, else 0.", "code"),
    MetricSpec("autoscaler_maintenance_failures_total", "counter", ("group", "step"), "",
               "Failed maintenance steps (enter_standby, redeploy, exit_standby, ...).", "code"),
    MetricSpec("autoscaler_alerts_received_total", "counter", ("status", "result"), "",
               "Alerts received from Alertmanager by status (firing, resolved) and what was done.", "code"),
    MetricSpec("autoscaler_notifications_total", "counter", ("channel", "result"), "",
               "Outbound notifications by channel and result (sent, failed).", "code"),
)
_SPECS = {spec.name: spec for spec in CATALOGUE}
_M = TypeVar("_M", Counter, Gauge, Histogram)


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be finite (got {value})")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupState:
    """What ``/metrics`` shows about one scaling group, as of its last tick.

    ``metric_values`` maps ``(policy, metric)`` to the last usable value;
    ``last_successful_tick`` is Unix time in seconds (``None`` before the first one).
    """

    group: str
    desired_capacity: int
    total: int
    serving: int
    pending: int
    standby: int
    in_maintenance: int = 0
    protected: int = 0
    zone_imbalance: int = 0
    min_size: int | None = None
    max_size: int | None = None
    last_successful_tick: float | None = None
    metric_values: Mapping[tuple[str, str], float] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.group:
            raise ValueError("group: must be non-empty")
        for name in ("desired_capacity", "total", "serving", "pending", "standby", "in_maintenance", "protected",
                     "zone_imbalance"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0 (got {getattr(self, name)})")
        for name in ("min_size", "max_size"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0 (got {getattr(self, name)})")
        if self.last_successful_tick is not None:
            _finite(self.last_successful_tick, "last_successful_tick")
        for key, value in self.metric_values.items():
            _finite(value, f"metric_values[{key!r}]")
        if not isinstance(self.metric_values, MappingProxyType):
            object.__setattr__(self, "metric_values", MappingProxyType(dict(self.metric_values)))


class StateProvider(Protocol):
    """Whatever knows the current state of the groups, read at every scrape."""

    def group_states(self) -> Iterable[GroupState]:
        """The latest state of every group the controller manages."""
        ...


class GroupBoard:
    """The simple :class:`StateProvider`: the controller publishes, the scrape reads."""

    def __init__(self) -> None:
        self._states: dict[str, GroupState] = {}

    def publish(self, state: GroupState) -> None:
        self._states[state.group] = state

    def remove(self, group: str) -> None:
        self._states.pop(group, None)

    def get(self, group: str) -> GroupState | None:
        return self._states.get(group)

    def group_states(self) -> Iterable[GroupState]:
        return list(self._states.values())  # a copy: a tick may publish while a scrape iterates


def _family(name: str) -> GaugeMetricFamily:
    spec = _SPECS[name]
    return GaugeMetricFamily(name, spec.help, labels=spec.labels)


class StateCollector:
    """A custom collector (client_python ``Collector.collect()``) over a :class:`StateProvider`."""

    def __init__(self, provider: StateProvider) -> None:
        self._provider = provider

    def describe(self) -> Iterator[Metric]:
        for spec in CATALOGUE:
            if spec.source == "collector":
                yield _family(spec.name)

    def collect(self) -> Iterator[Metric]:
        desired = _family("autoscaler_desired_capacity")
        capacity = _family("autoscaler_capacity")
        values = _family("autoscaler_metric_value")
        last_tick = _family("autoscaler_last_successful_tick_timestamp_seconds")
        maintenance = _family("autoscaler_instances_in_maintenance")
        protected = _family("autoscaler_protected_instances")
        imbalance = _family("autoscaler_zone_imbalance")
        min_size = _family("autoscaler_group_min_size")
        max_size = _family("autoscaler_group_max_size")
        for state in self._provider.group_states():
            group = [state.group]
            desired.add_metric(group, state.desired_capacity)
            for name in CAPACITY_STATES:
                capacity.add_metric([state.group, name], getattr(state, name))
            for (policy, metric), value in state.metric_values.items():
                values.add_metric([state.group, policy, metric], value)
            if state.last_successful_tick is not None:
                last_tick.add_metric(group, state.last_successful_tick)
            maintenance.add_metric(group, state.in_maintenance)
            protected.add_metric(group, state.protected)
            imbalance.add_metric(group, state.zone_imbalance)
            if state.min_size is not None:
                min_size.add_metric(group, state.min_size)
            if state.max_size is not None:
                max_size.add_metric(group, state.max_size)
        yield from (desired, capacity, values, last_tick, maintenance, protected, imbalance, min_size, max_size)


class AutoscalerMetrics:
    """The metrics the code updates, plus the state collector, on one injected registry."""

    def __init__(self, registry: CollectorRegistry, *, state: StateProvider | None = None) -> None:
        def spec(name: str) -> tuple[str, str, tuple[str, ...]]:
            item = _SPECS[name]
            return item.name, item.help, item.labels

        self._decisions = Counter(*spec("autoscaler_decisions_total"), registry=registry)
        self._ess = Counter(*spec("autoscaler_ess_requests_total"), registry=registry)
        self._ticks = Histogram(*spec("autoscaler_tick_duration_seconds"), buckets=TICK_BUCKETS, registry=registry)
        self._source_up = Gauge(*spec("autoscaler_metric_source_up"), registry=registry)
        self._maintenance = Counter(*spec("autoscaler_maintenance_failures_total"), registry=registry)
        self._alerts = Counter(*spec("autoscaler_alerts_received_total"), registry=registry)
        self._notifications = Counter(*spec("autoscaler_notifications_total"), registry=registry)
        self._children: dict[tuple[str, ...], Any] = {}
        # Without a provider of its own, the controller publishes into ``self.board``.
        self.board: GroupBoard | None = None
        if state is None:
            self.board = GroupBoard()
            state = self.board
        registry.register(StateCollector(state))

    def _child(self, parent: _M, *values: str) -> _M:
        """The cached label child; validated once, then a dict lookup."""
        key = (parent._name, *values)
        child: _M | None = self._children.get(key)
        if child is None:
            for value in values:
                if not isinstance(value, str) or not value:
                    raise ValueError(f"{parent._name}: label values must be non-empty strings (got {values})")
            child = parent.labels(*values)
            self._children[key] = child
        return child

    def decision(self, *, group: str, policy: str, direction: DecisionDirection, result: DecisionResult) -> None:
        if direction not in DECISION_DIRECTIONS:
            raise ValueError(f"direction: must be one of {DECISION_DIRECTIONS} (got {direction!r})")
        if result not in DECISION_RESULTS:
            raise ValueError(f"result: must be one of {DECISION_RESULTS} (got {result!r})")
        self._child(self._decisions, group, policy, direction, result).inc()

    def ess_request(self, *, action: str, code: str) -> None:
        self._child(self._ess, action, code).inc()

    def observe_tick(self, *, group: str, seconds: float) -> None:
        self._child(self._ticks, group).observe(_finite(seconds, "seconds"))

    def metric_source_up(self, *, source: str, up: bool) -> None:
        self._child(self._source_up, source).set(1.0 if up else 0.0)

    def maintenance_failure(self, *, group: str, step: str) -> None:
        self._child(self._maintenance, group, step).inc()

    def alert_received(self, *, status: str, result: str) -> None:
        self._child(self._alerts, status, result).inc()

    def notification(self, *, channel: str, result: str) -> None:
        self._child(self._notifications, channel, result).inc()
