"""Prometheus as a metric source, over its HTTP API.

``query`` sends an instant query (``POST /api/v1/query``, form-encoded, so long
PromQL never hits a URL length limit) and turns the answer into a
:class:`MetricSample`: a scalar, or a vector with one value per instance keyed by
``instance_label`` plus their aggregate. Every failure (connection refused, timeout,
HTTP error, a body that is not JSON, a ``status: error``, a matrix where a vector was
expected, NaN or Inf) becomes an error sample whose reason says what happened; no
exception escapes ``query``, because one broken metric must not stop the loop.

Staleness: Prometheus drops a series by itself when its target disappears (staleness
markers) or after the lookback delta (5 min); the source then sees an empty result
and reports *missing*. On top of that, an answer whose evaluation timestamp lags the
caller's ``now`` by more than ``max_age`` (a lagging replica, a skewed clock, a cache
in front of Prometheus) is *stale*.

``query_range`` fetches history for replays as numpy arrays and, being offline,
raises :class:`MetricsError` on failure.

The HTTP transport is injectable (STYLE.md habit 8)::

    source = PrometheusSource(PrometheusSettings(url="http://127.0.0.1:9090"))
    sample = await source.query('avg by (instance_id) (rate(cpu_seconds_total[1m]))', now=clock.now())
    await source.aclose()
"""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import datetime, timedelta
from types import TracebackType

import httpx
import numpy as np

from autoscaler.clock import ensure_utc
from autoscaler.metrics._prom_parse import PromAnswerError, parse_instant, parse_range
from autoscaler.metrics._prom_settings import PrometheusSettings
from autoscaler.metrics._range import FloatArray, RangeResult
from autoscaler.metrics._sample import MetricSample, MetricsError

__all__ = ["MAX_POINTS_PER_QUERY", "PrometheusSource"]

# Prometheus refuses range queries of more than 11,000 points per series.
MAX_POINTS_PER_QUERY = 10_000


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer``; keeps the token out of the client's headers and reprs."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"


def _auth(settings: PrometheusSettings) -> httpx.Auth | None:
    if settings.bearer_token is not None:
        return _BearerAuth(settings.bearer_token)
    if settings.basic_auth is not None:
        return httpx.BasicAuth(settings.basic_auth.username, settings.basic_auth.password)
    return None


class PrometheusSource:
    """A :class:`~autoscaler.metrics.MetricSource` over the Prometheus HTTP API."""

    def __init__(
        self,
        settings: PrometheusSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            timeout=settings.timeout,
            verify=settings.ssl_context() if transport is None else True,
            auth=_auth(settings),
            proxy=settings.proxy,
            trust_env=settings.trust_env,
            headers={"Accept": "application/json", "User-Agent": "autoscaler"},
        )

    @property
    def settings(self) -> PrometheusSettings:
        return self._settings

    async def query(self, ref: str, *, now: datetime) -> MetricSample:
        """Evaluate the PromQL expression ``ref``; failures come back as a status."""
        now = ensure_utc(now, field="now")
        if not ref.strip():
            return MetricSample.error("query: empty PromQL expression")
        form = {"query": ref}
        if self._settings.evaluate_at_now:
            form["time"] = f"{now.timestamp():.3f}"
        try:
            response = await self._client.post("/api/v1/query", data=form)
            parsed = parse_instant(response.status_code, response.content, instance_label=self._settings.instance_label)
        except httpx.TimeoutException:
            return MetricSample.error(f"prometheus: timed out after {self._settings.timeout:g} s")
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return MetricSample.error(f"prometheus: request failed: {type(exc).__name__}: {exc}")
        except PromAnswerError as exc:
            return MetricSample.error(f"prometheus: {exc}")
        if parsed.timestamp is None:
            return MetricSample.missing("prometheus: the query returned no series")
        per_instance = dict(parsed.values) if parsed.labelled else {}
        value = self._settings.aggregate.reduce(parsed.values.values())
        age = (now - parsed.timestamp).total_seconds()
        if age > self._settings.max_age:
            reason = f"prometheus: evaluated {age:.0f} s before now (max_age {self._settings.max_age:g} s)"
            return MetricSample.stale(value, timestamp=parsed.timestamp, reason=reason, per_instance=per_instance)
        return MetricSample.ok(value, timestamp=parsed.timestamp, per_instance=per_instance)

    async def query_range(self, ref: str, *, start: datetime, end: datetime, step: timedelta) -> RangeResult:
        """History of ``ref`` on the grid ``start + k * step`` up to ``end``; raises :class:`MetricsError`."""
        start = ensure_utc(start, field="start")
        end = ensure_utc(end, field="end")
        seconds = step.total_seconds()
        if not seconds > 0:
            raise MetricsError(f"step: must be > 0 (got {step})")
        if end < start:
            raise MetricsError(f"end: {end.isoformat()} is before start {start.isoformat()}")
        first = start.timestamp()
        count = math.floor((end.timestamp() - first) / seconds + 1e-9) + 1
        parts = []
        for offset in range(0, count, MAX_POINTS_PER_QUERY):
            grid = first + seconds * np.arange(offset, min(count, offset + MAX_POINTS_PER_QUERY), dtype=np.float64)
            parts.append(await self._range_chunk(ref, grid, seconds))
        return RangeResult.concatenate(parts)

    async def _range_chunk(self, ref: str, grid: FloatArray, step: float) -> RangeResult:
        form = {"query": ref, "start": f"{grid[0]:.3f}", "end": f"{grid[-1]:.3f}", "step": f"{step:g}"}
        try:
            response = await self._client.post("/api/v1/query_range", data=form)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise MetricsError(f"prometheus: range query failed: {type(exc).__name__}: {exc}") from exc
        series = parse_range(response.status_code, response.content, instance_label=self._settings.instance_label)
        return RangeResult.on_grid(
            grid,
            [(item.key, item.times, item.values) for item in series],
            step=step,
            aggregate=self._settings.aggregate,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> PrometheusSource:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"PrometheusSource(url={self._settings.url!r})"
