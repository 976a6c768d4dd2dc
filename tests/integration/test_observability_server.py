"""ObservabilityServer serves the app with uvicorn on loopback inside the caller's loop and stops cleanly."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from prometheus_client import CollectorRegistry

from autoscaler.observability import AutoscalerMetrics, GroupState, ObservabilityApp, ObservabilityServer, ServerError


def test_the_server_serves_metrics_health_and_readiness_then_releases_the_port() -> None:
    async def scenario() -> int:
        registry = CollectorRegistry()
        metrics = AutoscalerMetrics(registry)
        assert metrics.board is not None
        metrics.board.publish(GroupState(group="web", desired_capacity=3, total=3, serving=2, pending=1, standby=0))
        server = ObservabilityServer(ObservabilityApp(registry, ready=lambda: True), host="127.0.0.1", port=0)
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, trust_env=False) as client:
            metrics_page = await client.get("/metrics")
            assert 'autoscaler_capacity{group="web",state="serving"} 2.0' in metrics_page.text
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
        port = server.port
        await server.stop()
        return port

    port = asyncio.run(scenario())
    with socket.socket() as probe:  # the port is free again
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_a_taken_port_is_a_clear_error() -> None:
    async def scenario() -> None:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            taken = holder.getsockname()[1]
            server = ObservabilityServer(ObservabilityApp(CollectorRegistry()), host="127.0.0.1", port=taken)
            with pytest.raises(ServerError, match=f"listen: cannot listen on 127.0.0.1:{taken}"):
                await server.start()

    asyncio.run(scenario())


def test_stopping_a_server_that_never_started_does_nothing() -> None:
    server = ObservabilityServer(ObservabilityApp(CollectorRegistry()), port=0)
    asyncio.run(server.stop())
    with pytest.raises(ServerError, match="never started"):
        _ = server.port
