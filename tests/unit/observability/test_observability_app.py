"""The listen address serves /metrics, /healthz, /readyz and mounted routes (through the ASGI app)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import CollectorRegistry

from autoscaler.clock import VirtualClock
from autoscaler.observability import AutoscalerMetrics, ObservabilityApp, TickReadiness
from autoscaler.observability.server import Receive, Scope, Send

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _get(app: ObservabilityApp, path: str, method: str = "GET") -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://obs") as client:
            return await client.request(method, path)

    return asyncio.run(go())


def test_metrics_exposes_the_injected_registry() -> None:
    registry = CollectorRegistry()
    AutoscalerMetrics(registry).decision(group="web", policy="cpu", direction="out", result="executed")
    response = _get(ObservabilityApp(registry), "/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert 'autoscaler_decisions_total{direction="out",group="web",policy="cpu",result="executed"} 1.0' in response.text


def test_healthz_answers_while_the_process_serves() -> None:
    app = ObservabilityApp(CollectorRegistry(), ready=lambda: False)
    assert _get(app, "/healthz").status_code == 200
    assert _get(app, "/healthz", "POST").status_code == 405


def test_readyz_follows_the_last_successful_tick() -> None:
    clock = VirtualClock(T0)
    readiness = TickReadiness(clock, max_age=timedelta(seconds=45))
    app = ObservabilityApp(CollectorRegistry(), ready=readiness)
    assert _get(app, "/readyz").status_code == 503
    readiness.mark_success(clock.now())
    assert _get(app, "/readyz").status_code == 200
    clock.advance(45)
    assert _get(app, "/readyz").status_code == 200
    clock.advance(1)
    response = _get(app, "/readyz")
    assert response.status_code == 503 and response.text == "not ready\n"


def test_a_failing_readiness_check_means_not_ready() -> None:
    def broken() -> bool:
        raise RuntimeError("state file locked")

    assert _get(ObservabilityApp(CollectorRegistry(), ready=broken), "/readyz").status_code == 503


def test_an_unknown_path_is_404() -> None:
    assert _get(ObservabilityApp(CollectorRegistry()), "/nope").status_code == 404


def test_a_mounted_app_serves_its_path_and_below() -> None:
    seen: list[str] = []

    async def alerts(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"accepted"})

    app = ObservabilityApp(CollectorRegistry())
    app.mount("/alerts", alerts)
    assert _get(app, "/alerts", "POST").status_code == 202
    assert _get(app, "/alerts/v2", "POST").status_code == 202
    assert _get(app, "/alertsx").status_code == 404
    assert seen == ["/alerts", "/alerts/v2"]


@pytest.mark.parametrize("path", ["alerts", "/", "/alerts/", "/metrics"])
def test_a_bad_or_taken_mount_path_is_refused(path: str) -> None:
    async def noop(scope: Scope, receive: Receive, send: Send) -> None: ...

    with pytest.raises(ValueError, match=r"^path"):
        ObservabilityApp(CollectorRegistry()).mount(path, noop)


def test_readiness_refuses_a_non_positive_age() -> None:
    with pytest.raises(ValueError, match=r"^max_age"):
        TickReadiness(VirtualClock(T0), max_age=timedelta(0))
