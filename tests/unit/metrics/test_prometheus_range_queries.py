"""query_range places Prometheus history on a numpy grid, in chunks below the 11,000-point cap."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import numpy as np
import pytest

from autoscaler.metrics import MetricsError, PrometheusSettings, PrometheusSource, RangeResult
from autoscaler.metrics.prometheus import MAX_POINTS_PER_QUERY

T0 = datetime(2026, 1, 1, tzinfo=UTC)
S0 = T0.timestamp()


def _matrix(*series: tuple[dict[str, str], list[tuple[float, str]]]) -> dict[str, Any]:
    result = [{"metric": labels, "values": [[t, v] for t, v in points]} for labels, points in series]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def _range(handler: Any, *, start: datetime = T0, end: datetime, step: timedelta) -> RangeResult:
    async def go() -> RangeResult:
        async with PrometheusSource(
            PrometheusSettings(url="http://p:9090"), transport=httpx.MockTransport(handler)
        ) as source:
            return await source.query_range("cpu", start=start, end=end, step=step)

    return asyncio.run(go())


def test_per_instance_rows_are_aligned_on_the_grid_with_gaps_as_nan() -> None:
    answer = _matrix(
        ({"instance_id": "i-1"}, [(S0, "1"), (S0 + 60, "2"), (S0 + 120, "3")]),
        ({"instance_id": "i-2"}, [(S0 + 60, "4")]),
    )
    result = _range(
        lambda r: httpx.Response(200, json=answer), end=T0 + timedelta(minutes=2), step=timedelta(minutes=1)
    )
    np.testing.assert_array_equal(result.timestamps, [S0, S0 + 60, S0 + 120])
    assert result.instances == ("i-1", "i-2")
    np.testing.assert_array_equal(result.per_instance, [[1, 2, 3], [np.nan, 4, np.nan]])
    np.testing.assert_array_equal(result.values, [1, 3, 3])
    assert not result.values.flags.writeable


def test_a_step_without_any_series_is_nan_in_the_aggregate() -> None:
    answer = _matrix(({}, [(S0, "5")]))
    result = _range(
        lambda r: httpx.Response(200, json=answer), end=T0 + timedelta(seconds=30), step=timedelta(seconds=15)
    )
    np.testing.assert_array_equal(result.values, [5, np.nan, np.nan])
    assert result.instances == () and result.per_instance.shape == (0, 3)


def test_a_long_range_is_fetched_in_chunks_and_joined() -> None:
    forms: list[dict[str, list[str]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        forms.append(parse_qs(request.content.decode()))
        start, end = float(form["start"]), float(form["end"])
        points = [(t, "1") for t in np.arange(start, end + 1, 1.0)]
        return httpx.Response(200, json=_matrix(({"instance_id": "i-1"}, points)))

    count = MAX_POINTS_PER_QUERY + 10
    result = _range(answer, end=T0 + timedelta(seconds=count - 1), step=timedelta(seconds=1))
    assert len(forms) == 2
    assert result.timestamps.shape == (count,) and bool(np.all(result.values == 1))
    assert float(forms[1]["start"][0]) == S0 + MAX_POINTS_PER_QUERY


def test_a_range_error_raises_a_metrics_error_naming_the_problem() -> None:
    bad = {"status": "error", "errorType": "bad_data", "error": "exceeded maximum resolution"}
    with pytest.raises(MetricsError, match="exceeded maximum resolution"):
        _range(lambda r: httpx.Response(400, json=bad), end=T0 + timedelta(hours=1), step=timedelta(minutes=1))


def test_an_unreachable_prometheus_raises_a_metrics_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(MetricsError, match="range query failed"):
        _range(refuse, end=T0 + timedelta(hours=1), step=timedelta(minutes=1))


@pytest.mark.parametrize(
    ("end", "step", "message"),
    [(T0 - timedelta(seconds=1), timedelta(seconds=1), "^end"), (T0, timedelta(0), "^step")],
)
def test_a_bad_range_is_refused(end: datetime, step: timedelta, message: str) -> None:
    with pytest.raises(MetricsError, match=message):
        _range(lambda r: httpx.Response(500), end=end, step=step)


def test_a_vector_answer_to_a_range_query_is_refused() -> None:
    answer = {"status": "success", "data": {"resultType": "vector", "result": []}}
    with pytest.raises(MetricsError, match="matrix"):
        _range(lambda r: httpx.Response(200, json=answer), end=T0 + timedelta(minutes=1), step=timedelta(minutes=1))
