"""Replaying a demand trace through the controller's own tick on an emulated group.

What: ``autoscaler simulate`` answers "what would this policy have done last month?"
by driving :class:`~autoscaler.controller.tick.GroupTicker` (the code ``autoscaler
run`` executes) minute by minute on a :class:`~autoscaler.clock.VirtualClock`,
against an :class:`~autoscaler.emulator.service.EssService` reached in process
(:mod:`autoscaler.simulation.inprocess`). Clamping, percent rounding, activities in
progress, cooldowns and the removal order are therefore those of the live system.

The workload model is BENCHMARKS.md section 1:

- demand is held step-wise on the 60 s grid (:func:`autoscaler.simulation.workload.load_trace`);
- per-instance capacity ``C = p99(demand) / 40`` unless given;
- the group starts at ``max(1, ceil(demand[0] / (C * target)))`` instances, all
  serving, with no cooldown pending (they were launched ``boot + scale-in cooldown``
  before the first minute);
- the emulator launches in ``boot_seconds`` (180 s: launched at minute ``i``, serving
  from ``i + 3``) and removes at once (``removal_seconds = 0``);
- the metric is the observed utilisation of the minute that just ended,
  ``min(1, demand / (serving * C))`` (1 if nothing serves), as a percentage.

Each minute ``m >= 1``: the service is advanced to the start of minute ``m``, the
tick sees the utilisation of minute ``m - 1`` and decides; what it started counts
for minute ``m`` (launching instances cost, they serve three minutes later).

One rule of the model ESS cannot express: "scale-in removes instances not yet
serving first". ESS has no such RemovalPolicy and never removes an instance that is
still launching: the scale-out activity is in progress until all its instances are
InService and a scale-in is refused (``ScalingActivityInProgress``; the controller
does not even try) until then. So a replayed scale-in always waits for the launch and
then removes serving instances; the group's RemovalPolicies are ``NewestInstance``
(then ``OldestScalingConfiguration``): the newest first, which are the ones the
model's rule would take once they serve.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from autoscaler.clock import VirtualClock
from autoscaler.controller.actuator import EssActuator, Result
from autoscaler.controller.memory_state import MemoryStateStore
from autoscaler.controller.snapshot import GroupView
from autoscaler.controller.tick import GroupSettings, TickReport
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.policy.build import PolicySet
from autoscaler.policy.model import Action
from autoscaler.simulation.inprocess import InProcessEss
from autoscaler.simulation.seams import DirectRouter, ReplayTicker, UtilisationSource
from autoscaler.simulation.workload import Trace, oracle_cost, per_instance_capacity

__all__ = [
    "DecisionRecord",
    "ReplayResult",
    "ReplaySettings",
    "replay",
    "replay_async",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GRID = 60
REMOVAL_POLICIES = ("NewestInstance", "OldestScalingConfiguration")
_NONE = Action.NONE  # read every minute: bound once (an Enum class attribute is a metaclass lookup)
Progress = Callable[[int, int], None]
"""Called as ``progress(done_minutes, total_minutes)`` now and then during a replay."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaySettings:
    """The replay's workload model and controller settings (defaults: BENCHMARKS.md section 1).

    ``capacity_per_instance`` None means ``p99(demand) / 40``; ``scale_in_cooldown_seconds``
    and ``scale_out_cooldown_seconds`` are the controller's (``autoscaler run`` defaults);
    ``activity_page``: how many of the newest activities a tick reads (see
    :class:`~autoscaler.simulation.inprocess.InProcessEss`); ESS runs one activity at
    a time per group and records no activity for a rejected execution, so the one in
    progress and the latest end are always the newest; 2 keeps a margin, None reads
    the whole month as ``EssClient`` would (slower, same result: tested).
    """

    capacity_per_instance: float | None = None
    boot_seconds: int = 180
    target: float = 0.6
    min_size: int = 1
    max_size: int = 400
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 0
    activity_page: int | None = 2

    def __post_init__(self) -> None:
        c = self.capacity_per_instance
        if c is not None and not (math.isfinite(c) and c > 0):
            raise ValueError(f"capacity_per_instance: must be a finite number > 0 (got {c})")
        if not 0 <= self.boot_seconds <= 1740:
            raise ValueError(f"boot_seconds: must be between 0 and 1740 (got {self.boot_seconds})")
        if not 0 < self.target <= 1:
            raise ValueError(f"target: must be in (0, 1] (got {self.target})")
        if not 0 <= self.min_size <= self.max_size:
            raise ValueError(f"min_size/max_size: need 0 <= min_size <= max_size (got {self.min_size}, "
                             f"{self.max_size})")
        if self.max_size > 1000:
            raise ValueError(f"max_size: at most 1000, the account's auto-created instances (got {self.max_size})")
        for name in ("scale_in_cooldown_seconds", "scale_out_cooldown_seconds"):
            if not 0 <= getattr(self, name) <= 86_400:
                raise ValueError(f"{name}: must be between 0 and 86400 seconds (ESS DefaultCooldown)")


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """One decision that wanted a change: when, what, what happened, and why."""

    minute: int
    timestamp: int
    action: str
    direction: str
    total: int
    target: int | None
    result: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"minute": self.minute, "timestamp": self.timestamp, "action": self.action,
                "direction": self.direction, "total": self.total, "target": self.target,
                "result": self.result, "reason": self.reason}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayResult:
    """The per-minute timeline of a replay, its decisions and its figures."""

    name: str
    policy: str
    settings: ReplaySettings
    capacity: float
    timestamps: IntArray
    demand: FloatArray
    total: IntArray
    serving: IntArray
    utilization: FloatArray
    decisions: tuple[DecisionRecord, ...]
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def minutes(self) -> int:
        return int(self.demand.size)

    @property
    def cost(self) -> int:
        """Instance-minutes of every instance in the group, launching ones included."""
        return int(self.total.sum())

    @property
    def oracle_cost(self) -> int:
        return oracle_cost(self.demand, self.capacity, self.settings.target)

    @property
    def overload_minutes(self) -> int:
        """Minutes in which demand exceeds ``serving * C``."""
        return int(np.count_nonzero(self.demand > self.serving * self.capacity))

    @property
    def cost_vs_oracle(self) -> float:
        return self.cost / self.oracle_cost

    @property
    def overload_pct(self) -> float:
        return 100.0 * self.overload_minutes / self.minutes

    @property
    def scaling_activities(self) -> int:
        """Decisions the emulator carried out (an ExecuteScalingRule that started an activity)."""
        return sum(1 for d in self.decisions if d.result == Result.EXECUTED.value)


def utilisation(demand: float, serving: int, capacity: float) -> float:
    """``min(1, demand / (serving * C))``, 1 when nothing serves."""
    cap = serving * capacity
    return 1.0 if cap <= 0 or demand >= cap else demand / cap


def initial_size(demand0: float, capacity: float, settings: ReplaySettings) -> int:
    """The start rule, inside [MinSize, MaxSize]."""
    start = max(1, math.ceil(demand0 / (capacity * settings.target) - 1e-9))
    return max(settings.min_size, min(settings.max_size, start))


@dataclass
class _Run:
    """The objects of one replay (built by :func:`_build`)."""

    clock: VirtualClock
    service: EssService
    api: InProcessEss
    ticker: ReplayTicker
    source: UtilisationSource
    group_id: str
    state: MemoryStateStore
    serving: tuple[int, int, tuple[str, ...]] | None = None
    """(api generation, total, serving ids) of the last :func:`_serving`."""


def _emulator(settings: ReplaySettings, clock: VirtualClock) -> EssService:
    emulator = EmulatorSettings(launch_seconds=float(settings.boot_seconds), removal_seconds=0.0,
                                max_group_size=max(100, settings.max_size))
    return EssService(clock, settings=emulator)


def _create_group(service: EssService, settings: ReplaySettings, initial: int) -> str:
    """A group at ``initial`` instances (MinSize initial while they launch, then the real MinSize)."""
    region = service.settings.region
    params: dict[str, str] = {
        "RegionId": region, "ScalingGroupName": "replay", "MinSize": str(initial), "MaxSize": str(settings.max_size),
        "DefaultCooldown": str(settings.scale_in_cooldown_seconds),
    }
    params.update({f"RemovalPolicy.{i}": p for i, p in enumerate(REMOVAL_POLICIES, start=1)})
    group_id = str(service.handle("CreateScalingGroup", params)["ScalingGroupId"])
    config_id = str(service.handle("CreateScalingConfiguration", {
        "ScalingGroupId": group_id, "InstanceType": "ecs.g6.large", "SecurityGroupId": "sg-replay",
        "ImageId": "ubuntu_22_04_x64_20G", "ScalingConfigurationName": "replay",
    })["ScalingConfigurationId"])
    service.handle("EnableScalingGroup", {"ScalingGroupId": group_id, "ActiveScalingConfigurationId": config_id})
    return group_id


def _build(trace: Trace, policy: PolicySet, settings: ReplaySettings, capacity: float) -> _Run:
    start = datetime.fromtimestamp(trace.start, UTC)
    lead = timedelta(seconds=settings.boot_seconds + settings.scale_in_cooldown_seconds + GRID)
    clock = VirtualClock(start - lead)
    service = _emulator(settings, clock)
    group_id = _create_group(service, settings, initial_size(float(trace.demand[0]), capacity, settings))
    clock.set(start)
    service.advance(start)
    if settings.min_size != service.scaling_group(group_id).min_size:
        service.handle("ModifyScalingGroup", {"ScalingGroupId": group_id, "MinSize": str(settings.min_size)})
    api = InProcessEss(service, activity_page=settings.activity_page, exclusive=True)  # the replay owns it
    state = MemoryStateStore()  # a replay never restarts: no SQLite, no JSON
    source = UtilisationSource()
    group_settings = GroupSettings(
        group_id=group_id, name="replay", interval=timedelta(seconds=GRID),
        # As ``autoscaler run`` does: the policy file's warm-up (the recommended policy's is the boot time).
        warmup=timedelta(seconds=policy.spec.estimated_instance_warmup),
        scale_in_cooldown=timedelta(seconds=settings.scale_in_cooldown_seconds),
        scale_out_cooldown=timedelta(seconds=settings.scale_out_cooldown_seconds),
        activity_time_resolution=timedelta(0),  # in-process reads carry the exact end times
    )
    # With a view hook the tick reads the metric after the group, as for any metric that
    # depends on the group (the replay's does), instead of gathering both.
    ticker = ReplayTicker(group_settings, api=api, metrics=DirectRouter(source),
                          refs=sorted(policy.metric_refs, key=str), evaluator=policy.decide,
                          actuator=EssActuator(api, state), state=state, on_view=_ignore_view,
                          generation=api.generation, repeat_reads=api.repeat_reads)
    return _Run(clock=clock, service=service, api=api, ticker=ticker, source=source, group_id=group_id,
                state=state)


def _serving(run: _Run) -> tuple[int, tuple[str, ...]]:
    """The group's total and the instances that serve this minute (InService: launched a boot ago).

    Read after the tick, so what it started counts (a removal completes within the minute);
    unchanged while the emulator's state is (most minutes).
    """
    generation = run.api.generation()
    if run.serving is not None and run.serving[0] == generation:
        return run.serving[1], run.serving[2]
    group, instances = run.api.peek(run.group_id)
    serving = tuple(i.instance_id for i in instances if i.lifecycle_state == "InService")
    total = max(group.total_capacity, len(instances))
    run.serving = (run.api.generation(), total, serving)
    return total, serving


def _ignore_view(view: GroupView) -> None:
    """The replay reads the view from the tick's report."""


def _record(report: TickReport, minute: int) -> DecisionRecord | None:
    decision = report.decision
    if decision.action is _NONE:
        return None
    outcome = report.outcome
    reason = decision.summary
    if outcome.error:
        reason = f"{reason} [{outcome.result.value}: {outcome.error}]"
    return DecisionRecord(
        minute=minute, timestamp=int(report.now.timestamp()), action=decision.action.value,
        direction=decision.direction.value, total=decision.total, target=decision.target,
        result=outcome.result.value, reason=reason,
    )


async def _minutes(run: _Run, trace: Trace, capacity: float, progress: Progress | None) -> tuple[
    IntArray, IntArray, FloatArray, list[DecisionRecord]
]:
    """The minute loop: advance, tick, record (see the module docstring)."""
    n = int(trace.demand.size)
    # Plain lists in the loop (a numpy item read or write costs more than the list's, and a
    # numpy float would travel on into the metric sample and the policy's arithmetic).
    totals = [0] * n
    servings = [0] * n
    utils = [0.0] * n
    values = trace.demand.tolist()
    decisions: list[DecisionRecord] = []
    start = datetime.fromtimestamp(trace.start, UTC)
    minute = timedelta(seconds=GRID)
    total, serving_ids = _serving(run)
    step = max(1, n // 200)
    ticker, source, clock = run.ticker, run.source, run.clock
    now = start
    for m in range(n):
        if m:
            now += minute
            clock.set(now)
            source.set(100.0 * utils[m - 1], at=now, instances=serving_ids)
            report = await ticker.tick(now)
            record = _record(report, m)
            if record is not None:
                decisions.append(record)
            total, serving_ids = _serving(run)
        serving = len(serving_ids)
        totals[m], servings[m] = total, serving
        utils[m] = utilisation(values[m], serving, capacity)
        if progress is not None and m % step == 0:
            progress(m, n)
    if progress is not None:
        progress(n, n)
    return (np.array(totals, dtype=np.int64), np.array(servings, dtype=np.int64),
            np.array(utils, dtype=np.float64), decisions)


async def replay_async(
    trace: Trace,
    policy: PolicySet,
    *,
    settings: ReplaySettings | None = None,
    policy_name: str = "",
    progress: Progress | None = None,
) -> ReplayResult:
    """Replay ``trace`` through ``policy`` (see the module docstring) on the running event loop."""
    cfg = settings or ReplaySettings()
    capacity = cfg.capacity_per_instance or per_instance_capacity(trace.demand)
    run = _build(trace, policy, cfg, capacity)
    try:
        totals, servings, utils, decisions = await _minutes(run, trace, capacity, progress)
    finally:
        run.state.close()
    if run.service.internal_errors:
        raise RuntimeError(f"the emulator failed during the replay: {run.service.internal_errors[0]!r}")
    n = int(trace.demand.size)
    return ReplayResult(
        name=trace.name, policy=policy_name or policy.source, settings=cfg, capacity=capacity,
        timestamps=trace.start + GRID * np.arange(n, dtype=np.int64), demand=trace.demand, total=totals,
        serving=servings, utilization=utils, decisions=tuple(decisions), calls=dict(run.api.calls),
    )


def replay(
    trace: Trace,
    policy: PolicySet,
    *,
    settings: ReplaySettings | None = None,
    policy_name: str = "",
    progress: Progress | None = None,
) -> ReplayResult:
    """:func:`replay_async` on a fresh event loop (for callers without one)."""
    return asyncio.run(replay_async(trace, policy, settings=settings, policy_name=policy_name, progress=progress))
