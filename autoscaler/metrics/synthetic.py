"""A deterministic demo workload whose CPU depends on how many instances serve.

The embedded default configuration needs something to scale on without a cloud
account or a Prometheus: :class:`SyntheticWorkload` produces a load that follows a
daily shape (a raised cosine between ``base_load`` and ``peak_load``) with random
bursts and noise, and a CPU utilisation that answers to the controller's actions::

    cpu = min(1, load / (serving * capacity_per_instance))

so scaling out visibly brings CPU down. A "day" can be compressed (``day_length`` of
ten minutes for a demo). Load is a pure function of the time and of a seed drawn
once from the injected random generator: the same seed gives the same curve whether
the caller is the live controller on the system clock, a replay on a virtual clock,
or a test that asks for the same instant twice. Bursts and noise are planned per
day, from a generator seeded with (seed, day), so no query order changes them.

Signals (the reference string): ``load``, ``cpu`` (0..1), ``cpu_percent`` (0..100),
``serving`` (count). ``cpu`` and ``cpu_percent`` carry one value per serving
instance; instances differ by a small fixed skew derived from their id, as real
load balancers are never perfectly even.

Example::

    workload = SyntheticWorkload(WorkloadShape(day_length=timedelta(minutes=10)), rng=np.random.default_rng(7))
    workload.set_serving(["i-1", "i-2"])
    sample = await workload.query("cpu_percent", now=clock.now())
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from autoscaler.clock import ensure_utc
from autoscaler.metrics._range import FloatArray
from autoscaler.metrics._sample import MetricSample, MetricsError

__all__ = ["SIGNALS", "SyntheticWorkload", "WorkloadShape"]

SIGNALS = ("load", "cpu", "cpu_percent", "serving")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLAN_CACHE = 8  # days kept in memory; a live run needs two (today and yesterday's late bursts)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise MetricsError(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadShape:
    """The shape of the synthetic load; loads are in abstract units (say requests/s).

    ``peak_phase`` is the fraction of the day where the load peaks (0.6 is 14:24);
    bursts arrive ``bursts_per_day`` times a day on average, last ``burst_length`` of
    a day and multiply the load by up to ``burst_factor``; ``noise`` is the relative
    standard deviation of a noise that changes ``noise_steps`` times a day.
    """

    day_length: timedelta = timedelta(days=1)
    origin: datetime = _EPOCH
    base_load: float = 100.0
    peak_load: float = 400.0
    peak_phase: float = 0.6
    bursts_per_day: float = 2.0
    burst_factor: float = 1.6
    burst_length: float = 0.04
    noise: float = 0.05
    noise_steps: int = 96
    capacity_per_instance: float = 100.0
    instance_skew: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", ensure_utc(self.origin, field="origin"))
        _require(self.day_length >= timedelta(seconds=1), f"day_length: must be at least 1 s (got {self.day_length})")
        _require(0 <= self.base_load <= self.peak_load, "base_load: must be >= 0 and <= peak_load")
        _require(math.isfinite(self.peak_load), "peak_load: must be finite")
        _require(0 <= self.peak_phase < 1, f"peak_phase: must be in [0, 1) (got {self.peak_phase})")
        _require(0 <= self.bursts_per_day <= 100, f"bursts_per_day: must be in [0, 100] (got {self.bursts_per_day})")
        _require(1 <= self.burst_factor <= 100, f"burst_factor: must be in [1, 100] (got {self.burst_factor})")
        _require(0 < self.burst_length <= 1, f"burst_length: must be in (0, 1] (got {self.burst_length})")
        _require(0 <= self.noise <= 1, f"noise: must be in [0, 1] (got {self.noise})")
        _require(1 <= self.noise_steps <= 100_000, f"noise_steps: must be in [1, 100000] (got {self.noise_steps})")
        _require(
            0 < self.capacity_per_instance < math.inf,
            f"capacity_per_instance: must be > 0 (got {self.capacity_per_instance})",
        )
        _require(0 <= self.instance_skew < 1, f"instance_skew: must be in [0, 1) (got {self.instance_skew})")


@dataclass(frozen=True, slots=True)
class _DayPlan:
    burst_starts: FloatArray  # phase in [0, 1)
    burst_heights: FloatArray  # multiplier at the top of the burst
    noise: FloatArray  # standard normal draws, one per noise step


class SyntheticWorkload:
    """A :class:`~autoscaler.metrics.MetricSource` producing ``load`` and a CPU that answers to scaling."""

    def __init__(
        self,
        shape: WorkloadShape,
        *,
        rng: np.random.Generator,
        serving_provider: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self._shape = shape
        self._seed = int(rng.integers(0, 2**63 - 1))
        self._plans: dict[int, _DayPlan] = {}
        self._serving: tuple[str, ...] = ()
        self._provider = serving_provider
        self._weights: dict[str, float] = {}

    @property
    def shape(self) -> WorkloadShape:
        return self._shape

    def set_serving(self, instance_ids: Collection[str]) -> None:
        """Tell the workload which instances serve now (InService, not standby, warmed up)."""
        self._serving = tuple(sorted(set(instance_ids)))

    def serving(self) -> tuple[str, ...]:
        if self._provider is not None:
            return tuple(sorted(set(self._provider())))
        return self._serving

    def load_at(self, now: datetime) -> float:
        """The offered load at ``now``: daily shape times bursts times noise, never negative."""
        shape = self._shape
        days = (ensure_utc(now, field="now") - shape.origin) / shape.day_length
        day = math.floor(days)
        phase = days - day
        diurnal = shape.base_load + (shape.peak_load - shape.base_load) * (
            1 + math.cos(2 * math.pi * (phase - shape.peak_phase))
        ) / 2
        plan = self._plan(day)
        burst = max(self._burst(plan, phase), self._burst(self._plan(day - 1), phase + 1))
        step = min(int(phase * shape.noise_steps), shape.noise_steps - 1)
        noisy = diurnal * burst * (1 + shape.noise * float(plan.noise[step]))
        return max(0.0, noisy)

    def _burst(self, plan: _DayPlan, phase: float) -> float:
        length = self._shape.burst_length
        offsets = (phase - plan.burst_starts) / length
        inside = (offsets >= 0) & (offsets <= 1)
        if not bool(inside.any()):
            return 1.0
        profile = np.sin(math.pi * offsets[inside])
        return float(np.max(1 + (plan.burst_heights[inside] - 1) * profile))

    def _plan(self, day: int) -> _DayPlan:
        plan = self._plans.get(day)
        if plan is None:
            shape = self._shape
            generator = np.random.default_rng(np.random.SeedSequence([self._seed, day & 0xFFFFFFFF, day >> 32 & 1]))
            count = int(generator.poisson(shape.bursts_per_day))
            plan = _DayPlan(
                burst_starts=generator.uniform(0, 1, size=count),
                burst_heights=generator.uniform(1 + (shape.burst_factor - 1) / 2, shape.burst_factor, size=count),
                noise=generator.standard_normal(shape.noise_steps),
            )
            if len(self._plans) >= _PLAN_CACHE:
                self._plans.pop(next(iter(self._plans)))
            self._plans[day] = plan
        return plan

    def _weight(self, instance_id: str) -> float:
        weight = self._weights.get(instance_id)
        if weight is None:
            unit = zlib.crc32(instance_id.encode()) / 0xFFFFFFFF
            weight = 1 + self._shape.instance_skew * (2 * unit - 1)
            if len(self._weights) > 100_000:  # bounded memory on a long run with instance churn
                self._weights.clear()
            self._weights[instance_id] = weight
        return weight

    def cpu_at(self, now: datetime) -> tuple[float, dict[str, float]]:
        """Group CPU utilisation (0..1) and one value per serving instance."""
        load = self.load_at(now)
        serving = self.serving()
        if not serving:
            return (1.0 if load > 0 else 0.0), {}
        capacity = len(serving) * self._shape.capacity_per_instance
        weights = {name: self._weight(name) for name in serving}
        mean_weight = sum(weights.values()) / len(weights)
        per_instance = {name: min(1.0, load * weight / mean_weight / capacity) for name, weight in weights.items()}
        return min(1.0, load / capacity), per_instance

    async def query(self, ref: str, *, now: datetime) -> MetricSample:
        """Read a signal (``load``, ``cpu``, ``cpu_percent``, ``serving``) at ``now``."""
        return self.sample_at(ref, now=now)

    def sample_at(self, ref: str, *, now: datetime) -> MetricSample:
        """Synchronous :meth:`query`."""
        signal = ref.strip()
        now = ensure_utc(now, field="now")
        if signal == "load":
            return MetricSample.ok(self.load_at(now), timestamp=now)
        if signal == "serving":
            return MetricSample.ok(float(len(self.serving())), timestamp=now)
        if signal in ("cpu", "cpu_percent"):
            scale = 100.0 if signal == "cpu_percent" else 1.0
            cpu, per_instance = self.cpu_at(now)
            return MetricSample.ok(
                cpu * scale, timestamp=now, per_instance={key: value * scale for key, value in per_instance.items()}
            )
        return MetricSample.error(f"synthetic: unknown signal {signal!r} (known: {', '.join(SIGNALS)})")

    def __repr__(self) -> str:
        return f"SyntheticWorkload(day_length={self._shape.day_length}, serving={len(self.serving())})"
