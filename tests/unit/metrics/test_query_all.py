"""query_all asks every metric at once, one sample per request, a timeout per query."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from autoscaler.metrics import MetricSample, MetricsError, SampleStatus, query_all

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _Scripted:
    """A source whose behaviour per reference is scripted by the test."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def query(self, ref: str, *, now: datetime) -> MetricSample:
        self.calls.append(ref)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if ref == "hang":
                await asyncio.Event().wait()
            if ref == "boom":
                raise RuntimeError("source bug")
            await asyncio.sleep(0)
            return MetricSample.ok(float(len(ref)), timestamp=now)
        finally:
            self.in_flight -= 1


def test_each_request_gets_its_sample_in_order() -> None:
    source = _Scripted()
    samples = asyncio.run(query_all([(source, "a"), (source, "bbb")], now=NOW, timeout=1))
    assert [s.value for s in samples] == [1.0, 3.0]


def test_a_hanging_query_times_out_into_an_error_without_delaying_the_others() -> None:
    source = _Scripted()
    samples = asyncio.run(query_all([(source, "hang"), (source, "ok")], now=NOW, timeout=0.05))
    assert samples[0].status is SampleStatus.ERROR and "timed out after 0.05 s" in (samples[0].reason or "")
    assert samples[1].status is SampleStatus.OK


def test_a_source_that_raises_becomes_an_error_sample() -> None:
    samples = asyncio.run(query_all([(_Scripted(), "boom")], now=NOW, timeout=1))
    assert samples[0].status is SampleStatus.ERROR and "RuntimeError: source bug" in (samples[0].reason or "")


def test_identical_requests_are_asked_once() -> None:
    source = _Scripted()
    samples = asyncio.run(query_all([(source, "x"), (source, "x"), (source, "y")], now=NOW, timeout=1))
    assert source.calls == ["x", "y"] and samples[0] is samples[1]


def test_the_limit_bounds_the_queries_in_flight() -> None:
    source = _Scripted()
    asyncio.run(query_all([(source, f"r{n}") for n in range(20)], now=NOW, timeout=1, limit=3))
    assert source.peak == 3


@pytest.mark.parametrize(("timeout", "limit", "field"), [(0, None, "timeout"), (1, 0, "limit")])
def test_bad_arguments_are_refused(timeout: float, limit: int | None, field: str) -> None:
    with pytest.raises(MetricsError, match=f"^{field}"):
        asyncio.run(query_all([], now=NOW, timeout=timeout, limit=limit))
