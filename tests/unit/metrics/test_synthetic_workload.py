"""The synthetic workload is deterministic, daily-shaped with bursts, and answers to scaling."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.metrics import MetricsError, SampleStatus, SyntheticWorkload, WorkloadShape

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(minutes=10)


def _workload(seed: int = 7, **shape: object) -> SyntheticWorkload:
    settings = {"day_length": DAY, "origin": T0, **shape}
    return SyntheticWorkload(WorkloadShape(**settings), rng=np.random.default_rng(seed))  # type: ignore[arg-type]


def _curve(workload: SyntheticWorkload, points: int = 600) -> list[float]:
    return [workload.load_at(T0 + DAY * (n / points)) for n in range(points)]


def test_the_same_seed_gives_the_same_curve_whatever_the_query_order() -> None:
    forward = _curve(_workload())
    backward_workload = _workload()
    backward = [backward_workload.load_at(T0 + DAY * (n / 600)) for n in reversed(range(600))][::-1]
    assert forward == backward
    assert forward != _curve(_workload(seed=8))


def test_the_load_follows_the_daily_shape_between_trough_and_peak() -> None:
    workload = _workload(bursts_per_day=0, noise=0, base_load=100, peak_load=400, peak_phase=0.5)
    assert workload.load_at(T0) == pytest.approx(100)
    assert workload.load_at(T0 + DAY / 2) == pytest.approx(400)
    assert workload.load_at(T0 + DAY) == pytest.approx(100)


def test_bursts_raise_the_load_above_the_daily_shape() -> None:
    calm = _curve(_workload(bursts_per_day=0, noise=0))
    bursty = _curve(_workload(bursts_per_day=20, burst_factor=2.0, noise=0))
    ratios = [b / c for b, c in zip(bursty, calm, strict=True)]
    assert min(ratios) >= 1.0 and max(ratios) > 1.4


def test_a_compressed_day_repeats_its_shape_every_day_length() -> None:
    workload = _workload(bursts_per_day=0, noise=0)
    assert workload.load_at(T0 + DAY * 0.3) == pytest.approx(workload.load_at(T0 + DAY * 3.3))


def test_cpu_is_load_over_serving_capacity_capped_at_one() -> None:
    workload = _workload(bursts_per_day=0, noise=0, base_load=300, peak_load=300, capacity_per_instance=100)
    workload.set_serving(["i-1", "i-2", "i-3", "i-4", "i-5", "i-6"])
    assert workload.sample_at("cpu", now=T0).value == pytest.approx(0.5)
    assert workload.sample_at("cpu_percent", now=T0).value == pytest.approx(50)
    workload.set_serving(["i-1", "i-2"])
    assert workload.sample_at("cpu", now=T0).value == 1.0


def test_per_instance_cpu_covers_exactly_the_serving_instances() -> None:
    workload = _workload(bursts_per_day=0, noise=0, base_load=200, peak_load=200, capacity_per_instance=100)
    workload.set_serving(["i-a", "i-b", "i-c", "i-d"])
    sample = workload.sample_at("cpu", now=T0)
    assert set(sample.per_instance) == {"i-a", "i-b", "i-c", "i-d"}
    assert np.mean(list(sample.per_instance.values())) == pytest.approx(0.5)
    assert all(0.4 <= v <= 0.6 for v in sample.per_instance.values())


def test_with_nobody_serving_the_cpu_is_saturated() -> None:
    sample = _workload().sample_at("cpu", now=T0)
    assert sample.value == 1.0 and dict(sample.per_instance) == {}


def test_a_serving_provider_is_read_at_each_query() -> None:
    serving = ["i-1"]
    workload = SyntheticWorkload(WorkloadShape(), rng=np.random.default_rng(1), serving_provider=lambda: serving)
    assert workload.sample_at("serving", now=T0).value == 1.0
    serving.append("i-2")
    assert workload.sample_at("serving", now=T0).value == 2.0


def test_it_runs_on_a_virtual_clock_as_an_async_source() -> None:
    clock = VirtualClock(T0)
    workload = _workload()
    workload.set_serving(["i-1"])
    first = asyncio.run(workload.query("load", now=clock.now()))
    clock.advance(DAY / 4)
    later = asyncio.run(workload.query("load", now=clock.now()))
    assert first.status is SampleStatus.OK and later.timestamp == T0 + DAY / 4
    assert first.value != later.value


def test_an_unknown_signal_is_an_error_sample() -> None:
    sample = _workload().sample_at("memory", now=T0)
    assert sample.status is SampleStatus.ERROR and "memory" in (sample.reason or "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("day_length", timedelta(0)),
        ("base_load", -1.0),
        ("peak_phase", 1.0),
        ("burst_factor", 0.5),
        ("burst_length", 0.0),
        ("noise", 2.0),
        ("capacity_per_instance", 0.0),
        ("origin", datetime(2026, 1, 1)),
    ],
)
def test_a_bad_shape_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises((MetricsError, ValueError), match=f"^{field}"):
        WorkloadShape(**{field: value})  # type: ignore[arg-type]
