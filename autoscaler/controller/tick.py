"""One evaluation of one scaling group: observe, evaluate, actuate, remember.

This is the code both ``autoscaler run`` (driven by apscheduler on the system clock)
and ``autoscaler simulate`` (driven by a replay on a virtual clock) execute, so a
replay predicts exactly what the live loop would do.

A tick:

1. reads the group, its instances and its recent activities through :class:`EssApi`
   and the group's metrics through the :class:`MetricRouter`, concurrently;
2. builds the snapshot (:mod:`autoscaler.controller.snapshot`) and lets the policy
   engine decide, with the policy memory kept in the state file;
3. gates the decision on what the API itself does not enforce: no new activity while
   one is in progress, and the controller's cooldowns after the last activity ended
   (``ExecuteScalingRule`` bypasses cooldowns, so they are honoured here);
4. hands it to the actuator (live or shadow), records the memory to keep (the
   "executed" one only if the action was carried out) and reports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from autoscaler.controller.actuator import Actuator, Outcome, Result
from autoscaler.controller.alerts import AlertGate, apply_floor
from autoscaler.controller.care import CareCoordinator, CareReport, bound_decision
from autoscaler.controller.ports import EssApi
from autoscaler.controller.snapshot import GroupView, observe, to_snapshot
from autoscaler.controller.state import ControllerState
from autoscaler.metrics import MetricSample as SourceSample
from autoscaler.metrics import MetricSource, query_all
from autoscaler.policy.model import Action, Decision, Direction, GroupMemory, GroupSnapshot, MetricRef

__all__ = ["Evaluator", "GroupSettings", "GroupTicker", "MetricRouter", "TickReport"]

log = logging.getLogger("autoscaler.controller")

Evaluator = Callable[[GroupSnapshot, GroupMemory], Decision]
"""The policy engine for one group: pure, (snapshot, memory) -> decision."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupSettings:
    """How the controller treats one group (units in the names; defaults explained).

    - ``interval``: evaluation period; also the ClientToken window.
    - ``warmup``: instances younger than this are warming (their metrics left out).
    - ``scale_out_cooldown``: 0 by default, as for target tracking: warming capacity
      already counts, so a second scale-out only adds what is still missing.
    - ``scale_in_cooldown``: 300 s by default (ESS's DefaultCooldown): no scale-in
      sooner after the group's last activity ended.
    """

    group_id: str
    name: str
    interval: timedelta = timedelta(seconds=15)
    warmup: timedelta = timedelta(seconds=180)
    scale_out_cooldown: timedelta = timedelta(0)
    scale_in_cooldown: timedelta = timedelta(seconds=300)
    metric_timeout: float = 5.0
    activity_time_resolution: timedelta = timedelta(seconds=1)
    """How much later than reported an activity may have ended: the wire's times are whole
    seconds (truncated). A replay reading the emulator in process sees exact times: 0."""


class MetricRouter:
    """Reads policy metric references from the source configured for their kind."""

    def __init__(self, sources: Mapping[str, MetricSource], *, timeout: float = 5.0, limit: int | None = 32) -> None:
        self._sources = dict(sources)
        self._timeout = timeout
        self._limit = limit

    def source_for(self, ref: MetricRef) -> MetricSource | None:
        return self._sources.get(ref.source.value)

    async def read(self, refs: Sequence[MetricRef], *, now: datetime) -> dict[MetricRef, SourceSample]:
        requests = []
        missing: dict[MetricRef, SourceSample] = {}
        for ref in refs:
            source = self.source_for(ref)
            if source is None:
                missing[ref] = SourceSample.error(f"no {ref.source.value} source is configured")
            else:
                requests.append((ref, source))
        samples = await query_all([(s, r.key) for r, s in requests], now=now, timeout=self._timeout,
                                  limit=self._limit)
        out = dict(missing)
        out.update({ref: sample for (ref, _), sample in zip(requests, samples, strict=True)})
        return out


class TickReport(NamedTuple):
    """What one tick saw, decided and did (for logs, metrics, the live view, replays).

    A named tuple (built once per tick, positionally there; elsewhere build it with keywords),
    like the policy's records.
    """

    group_id: str
    now: datetime
    view: GroupView
    samples: Mapping[MetricRef, SourceSample]
    decision: Decision
    outcome: Outcome
    gate: str | None
    care: CareReport | None = None

    @property
    def direction(self) -> Direction:
        return self.decision.direction


_NO_CHANGE = Outcome(result=Result.NO_CHANGE)
_SUPPRESSED = Outcome(result=Result.SUPPRESSED)
"""The outcomes of a tick that wanted no action (frozen: shared by every such tick)."""

# Members read at every tick, bound once: an Enum class attribute is a metaclass lookup,
# several times slower than a module global (the tick is a replay's inner loop).
_NONE = Action.NONE
_ACTED = frozenset((Result.EXECUTED, Result.SHADOW, Result.NO_CHANGE))


def window_start(now: datetime, interval: timedelta) -> datetime:
    """The evaluation window containing ``now`` (epoch-aligned), part of the ClientToken."""
    step = interval.total_seconds()
    return datetime.fromtimestamp((now.timestamp() // step) * step, UTC)


class GroupTicker:
    """Runs ticks for one group; holds no state that the state file does not also hold."""

    def __init__(
        self,
        settings: GroupSettings,
        *,
        api: EssApi,
        metrics: MetricRouter,
        refs: Sequence[MetricRef],
        evaluator: Evaluator,
        actuator: Actuator,
        state: ControllerState,
        on_view: Callable[[GroupView], None] | None = None,
        alerts: AlertGate | None = None,
        care: CareCoordinator | None = None,
    ) -> None:
        self.settings = settings
        self._api = api
        self._metrics = metrics
        self._refs = tuple(refs)
        self._evaluate = evaluator
        self._actuator = actuator
        self._state = state
        self._memory: GroupMemory | None = None
        self._on_view = on_view
        self._alerts = alerts
        self._care = care

    async def observe(self, now: datetime) -> GroupView:
        gid = self.settings.group_id
        groups, instances, activities = await asyncio.gather(
            self._api.describe_scaling_groups(scaling_group_ids=[gid]),
            self._api.describe_scaling_instances(scaling_group_id=gid),
            # Newest first: one page holds the activity in progress and the last one ended.
            self._api.describe_scaling_activities(scaling_group_id=gid, limit=50),
        )
        if not groups:
            raise LookupError(f"scaling group {gid} ({self.settings.name}) does not exist")
        return observe(groups[0], instances, activities, now=now, warmup=self.settings.warmup)

    def _gate(self, view: GroupView, decision: Decision, now: datetime) -> str | None:
        """Why the decision must not be carried out now (None: go)."""
        if decision.action is _NONE:
            return None
        if view.activity_in_progress:
            return "a scaling activity is in progress"
        if decision.action is Action.SET_CAPACITY:
            cooldown = (self.settings.scale_in_cooldown if decision.direction is Direction.IN
                        else self.settings.scale_out_cooldown)
            last = view.last_activity_end
            stored = self._state.cooldown(self.settings.group_id)
            if stored is not None and stored[0] > now and decision.direction is Direction.IN:
                return f"cooldown until {stored[0].isoformat()} ({stored[1]})"
            if last is not None and cooldown > timedelta(0):
                # ESS reports EndTime in whole seconds (truncated): the activity may have ended
                # up to a second later than it says, so the cooldown counts from the second after.
                until = last + self.settings.activity_time_resolution + cooldown
                if now < until:
                    return f"cooldown until {until.isoformat()} after the last activity"
        return None

    async def tick(self, now: datetime) -> TickReport:
        gid = self.settings.group_id
        if self._on_view is None:
            view, samples = await asyncio.gather(self.observe(now), self._metrics.read(self._refs, now=now))
        else:
            # A metric that depends on the group (the synthetic workload) reads this tick's view.
            view = await self.observe(now)
            self._on_view(view)
            samples = await self._metrics.read(self._refs, now=now)
        if self._memory is None:
            self._memory = self._state.load_group_memory(gid)
        snapshot = to_snapshot(view, samples, now=now)
        decision = self._evaluate(snapshot, self._memory)
        alert_acted = False
        if self._alerts is not None:
            alert = await self._alerts.step(self.settings.name, gid, view)
            decision = apply_floor(decision, alert.floor, max_size=view.capacity.max_size)
            alert_acted = alert.acted
        care = None
        if self._care is not None:  # instance care (docs/instance-care.md) bounds the decision
            care = await self._care.apply(view, decision, now)
            decision = bound_decision(decision, care, max_size=view.capacity.max_size)
        gate = "an alert action ran this tick" if alert_acted else self._gate(view, decision, now)
        if gate is None and care is not None and care.activity_started:
            gate = "a care activity started this tick"
        if decision.action is _NONE:
            outcome = _SUPPRESSED if decision.limits else _NO_CHANGE
        elif gate is not None:
            outcome = Outcome(result=Result.SUPPRESSED, error=gate)
        else:
            outcome = await self._actuator.apply(gid, decision, window=window_start(now, self.settings.interval))
        acted = outcome.result in _ACTED
        memory = decision.memory if acted else decision.memory_unexecuted
        if memory != self._memory:  # a write (fsync) only when the memory changed
            self._state.save_group_memory(gid, memory, now)
        self._memory = memory
        # Positional (every tick makes one): group_id, now, view, samples, decision, outcome, gate, care.
        return TickReport(gid, now, view, samples, decision, outcome, gate, care)
