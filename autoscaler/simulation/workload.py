"""The decision-quality workload model of BENCHMARKS.md section 1, and its baselines.

What: a fast, pure model of one scaling group serving a recorded demand, minute by
minute, used to compare policies on cost (instance-minutes) against time without
enough serving capacity (overload minutes). It is the harness the benchmark
(``bench/quality.py``) and ``autoscaler simulate --baselines`` call.

Why a separate model next to the emulator replay: the numbers must be comparable
across tools, so the model is exactly the one BENCHMARKS.md fixes (60 s grid, C =
p99/40, 180 s boot, start rule, removal rule, the three reactive baselines), and it
must run a month of minutes in a fraction of a second so that a policy can be
validated on every trace in every test run.

The model, per minute ``t`` (``0 .. n-1``):

- ``serving(t)`` counts instances launched at ``i <= t - boot``; the group starts with
  ``max(1, ceil(demand[0] / (C * target)))`` instances, all serving;
- cost adds ``total(t)`` (launching instances included); overload counts ``t`` when
  ``demand[t] > serving(t) * C``;
- the observed utilisation is ``min(1, demand[t] / (serving(t) * C))`` (1 if nothing
  serves), and the policy sees it at the end of minute ``t``; its decision sets the
  total for minute ``t + 1`` (an instance launched then serves from ``t + 1 + boot``);
- scale-in removes not-yet-serving instances first (newest first), then the newest.

``ess_activity_blocks=True`` adds what the real ESS replay imposes: a decision is an
``ExecuteScalingRule`` to a TotalCapacity, rejected with ``ScalingActivityInProgress``
while a scale-out activity is in progress (until its instances are InService, i.e.
while anything is warming), the change is at most 500 instances per execution, and the
result is clamped to ``[MinSize, MaxSize]``. A scale-in activity completes at once.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from autoscaler.policy.predictive import PredictivePolicy, PredictiveSettings

__all__ = [
    "AwsTargetTrackingBaseline",
    "HpaBaseline",
    "MinutePolicy",
    "SimulationResult",
    "StaticBaseline",
    "Trace",
    "WorkloadSettings",
    "load_trace",
    "oracle_cost",
    "per_instance_capacity",
    "recommended_policy",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]
GRID_SECONDS = 60
MAX_CHANGE_PER_EXECUTION = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """A demand series held step-wise on the 60 s grid; ``start`` is epoch seconds of minute 0."""

    name: str
    start: int
    demand: FloatArray

    def __post_init__(self) -> None:
        if self.demand.ndim != 1 or self.demand.size == 0:
            raise ValueError(f"{self.name}: demand: must be a non-empty 1-d series")
        if not bool(np.all(np.isfinite(self.demand))) or bool(np.any(self.demand < 0)):
            raise ValueError(f"{self.name}: demand: must be finite and >= 0")


def load_trace(path: Path) -> Trace:
    """Read a ``timestamp,value`` CSV and hold it step-wise onto the 60 s grid.

    The grid runs from the first to the last timestamp; a gap holds the last value.
    """
    try:
        raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path}: not a timestamp,value CSV: {exc}") from exc
    if raw.shape[1] != 2 or raw.shape[0] == 0:
        raise ValueError(f"{path}: expected the two columns timestamp,value and at least one row")
    stamps = raw[:, 0].astype(np.int64)
    if np.any(np.diff(stamps) <= 0):
        raise ValueError(f"{path}: timestamp: must be strictly increasing")
    grid = np.arange(stamps[0], stamps[-1] + 1, GRID_SECONDS, dtype=np.int64)
    index = np.searchsorted(stamps, grid, side="right") - 1
    return Trace(name=path.stem, start=int(stamps[0]), demand=raw[index, 1].copy())


def per_instance_capacity(demand: FloatArray) -> float:
    """``C = p99(demand) / 40``: the 99th percentile needs 40 instances at 100 %."""
    capacity = float(np.percentile(demand, 99)) / 40.0
    if capacity <= 0:
        raise ValueError("demand: p99 must be > 0 to derive the per-instance capacity")
    return capacity


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadSettings:
    """The model's knobs; the defaults are BENCHMARKS.md section 1.

    ``boot_minutes`` is the launch-to-serving delay (180 s boot and warm-up);
    ``ess_activity_blocks`` turns on the ESS execution semantics described above.
    """

    target: float = 0.6
    min_size: int = 1
    max_size: int = 400
    boot_minutes: int = 3
    ess_activity_blocks: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.target <= 1:
            raise ValueError("target: must be in (0, 1]")
        if not 0 <= self.min_size <= self.max_size:
            raise ValueError("min_size/max_size: need 0 <= min_size <= max_size")
        if self.boot_minutes < 0:
            raise ValueError("boot_minutes: must be >= 0")


class MinutePolicy(Protocol):
    """A policy the harness can drive: one call per minute, returns the wanted total.

    ``at`` is the epoch second of the minute that just ended, ``utilisation`` its
    observed value, ``sample_serving`` the serving count it was measured with;
    ``serving``, ``total`` and ``warming`` describe the group now.
    """

    name: str

    def decide(
        self, at: int, utilisation: float, sample_serving: int, serving: int, total: int, warming: int
    ) -> int: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """The figures of BENCHMARKS.md section 1 for one (trace, policy) run."""

    minutes: int
    cost: int
    oracle_cost: int
    overload_minutes: int
    actions: int
    rejected: int
    total: npt.NDArray[np.int64]
    serving: npt.NDArray[np.int64]
    utilisation: FloatArray

    @property
    def cost_vs_oracle(self) -> float:
        return self.cost / self.oracle_cost

    @property
    def overload_pct(self) -> float:
        return 100.0 * self.overload_minutes / self.minutes


def oracle_cost(demand: FloatArray, capacity: float, target: float = 0.6) -> int:
    """Σ ``max(1, ceil(demand / (C * target)))``: exactly the target with perfect foresight."""
    need = np.maximum(1, np.ceil(demand / (capacity * target) - 1e-9))
    return int(need.sum())


class _Group:
    """Instances as a serving count plus launch cohorts ``[serve_from, count]`` (oldest first)."""

    __slots__ = ("pending", "serving", "total")

    def __init__(self, initial: int) -> None:
        self.serving = initial
        self.total = initial
        self.pending: deque[list[int]] = deque()

    def promote(self, minute: int) -> None:
        pending = self.pending
        while pending and pending[0][0] <= minute:
            self.serving += pending.popleft()[1]

    def resize(self, target: int, serve_from: int) -> None:
        if target > self.total:
            self.pending.append([serve_from, target - self.total])
            self.total = target
            return
        remove = self.total - target
        self.total = target
        pending = self.pending
        while remove and pending:
            newest = pending[-1]
            taken = min(remove, newest[1])
            newest[1] -= taken
            remove -= taken
            if newest[1] == 0:
                pending.pop()
        self.serving -= remove


def simulate(
    demand: FloatArray,
    policy: MinutePolicy,
    *,
    settings: WorkloadSettings | None = None,
    start: int = 0,
    initial: int | None = None,
) -> SimulationResult:
    """Run ``policy`` on ``demand`` (one value per minute) and return the section-1 figures."""
    cfg = settings or WorkloadSettings()
    capacity = per_instance_capacity(demand)
    n = int(demand.size)
    if initial is None:
        initial = max(1, math.ceil(float(demand[0]) / (capacity * cfg.target) - 1e-9))
    group = _Group(max(cfg.min_size, min(cfg.max_size, initial)))
    totals = np.empty(n, dtype=np.int64)
    servings = np.empty(n, dtype=np.int64)
    utils = np.empty(n, dtype=np.float64)
    values = demand.tolist()
    cost = overload = actions = rejected = 0
    boot, blocks = cfg.boot_minutes, cfg.ess_activity_blocks
    lo, hi = cfg.min_size, cfg.max_size
    for t in range(n):
        group.promote(t)
        serving, total = group.serving, group.total
        load = values[t]
        cost += total
        cap = serving * capacity
        if load > cap:
            overload += 1
            util = 1.0
        else:
            util = load / cap
        totals[t], servings[t], utils[t] = total, serving, util
        if t + 1 == n:
            break
        group.promote(t + 1)
        now_serving, now_total = group.serving, group.total
        wanted = policy.decide(start + GRID_SECONDS * t, util, serving, now_serving, now_total, now_total - now_serving)
        current = group.total
        wanted = max(lo, min(hi, wanted))
        if wanted == current:
            continue
        if blocks:
            if group.pending:
                rejected += 1
                continue
            wanted = max(current - MAX_CHANGE_PER_EXECUTION, min(current + MAX_CHANGE_PER_EXECUTION, wanted))
        group.resize(wanted, t + 1 + boot)
        actions += 1
    return SimulationResult(
        minutes=n,
        cost=cost,
        oracle_cost=oracle_cost(demand, capacity, cfg.target),
        overload_minutes=overload,
        actions=actions,
        rejected=rejected,
        total=totals,
        serving=servings,
        utilisation=utils,
    )


class StaticBaseline:
    """The peak's capacity at target, all the time (start it with ``initial=capacity``)."""

    name = "static"

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity

    @classmethod
    def for_demand(cls, demand: FloatArray, target: float = 0.6) -> StaticBaseline:
        per = per_instance_capacity(demand)
        return cls(max(1, math.ceil(float(demand.max()) / (per * target) - 1e-9)))

    def decide(
        self, at: int, utilisation: float, sample_serving: int, serving: int, total: int, warming: int
    ) -> int:
        return self.capacity


class HpaBaseline:
    """Kubernetes HPA defaults: 0.1 tolerance, doubling cap, 5-minute scale-in stabilization."""

    name = "hpa"

    def __init__(self, target: float = 0.6, tolerance: float = 0.1, window: int = 5) -> None:
        self.target, self.tolerance = target, tolerance
        self.recent: deque[int] = deque(maxlen=window)

    def decide(
        self, at: int, utilisation: float, sample_serving: int, serving: int, total: int, warming: int
    ) -> int:
        ratio = utilisation / self.target
        inside = abs(ratio - 1.0) <= self.tolerance
        recommendation = total if inside else math.ceil(sample_serving * ratio - 1e-9)
        self.recent.append(recommendation)
        if recommendation > total:
            return min(recommendation, max(2 * total, 4))
        return min(total, max(self.recent))


class AwsTargetTrackingBaseline:
    """AWS-style target tracking: 3 minutes above target to scale out, 15 below 90 % to scale in."""

    name = "aws"

    def __init__(self, target: float = 0.6, out_minutes: int = 3, in_minutes: int = 15) -> None:
        self.target, self.out_minutes, self.in_minutes = target, out_minutes, in_minutes
        self.above = 0
        self.below = 0

    def decide(
        self, at: int, utilisation: float, sample_serving: int, serving: int, total: int, warming: int
    ) -> int:
        self.above = self.above + 1 if utilisation > self.target else 0
        self.below = self.below + 1 if utilisation < 0.9 * self.target else 0
        wanted = sample_serving * utilisation / self.target
        if self.above >= self.out_minutes:
            return max(total, math.ceil(wanted - 1e-9))
        if self.below >= self.in_minutes and warming == 0:
            return min(total, max(1, math.floor(wanted + 1e-9)))
        return total


def recommended_policy(settings: WorkloadSettings | None = None) -> PredictivePolicy:
    """The project's recommended policy for this model: predictive, at the model's target and boot.

    Its scale-outs are serialised (``serialised_scale_out``) exactly when the model's
    are (ESS's ScalingActivityInProgress): a scale-out then also covers, on the mean,
    the boot time until the next one could serve (docs/benchmarks.md).
    """
    cfg = settings or WorkloadSettings()
    return PredictivePolicy(
        PredictiveSettings(
            target=cfg.target, boot_minutes=cfg.boot_minutes, serialised_scale_out=cfg.ess_activity_blocks
        )
    )
