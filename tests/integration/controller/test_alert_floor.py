"""Alertmanager notifications through the controller: one action, a floor held and released.

The controller is built by the same composition code as ``autoscaler run``, with an
``alerting:`` section; its listen address serves ``/alerts``. Repeated "firing"
notifications of one alert raise the group to the floor exactly once; "resolved"
releases the floor: from then on only the policies decide.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from autoscaler.cli._compose import build_runtime
from autoscaler.cli._server import start_server
from autoscaler.clock import VirtualClock
from autoscaler.controller.actuator import Result

from .conftest import ROOT, T0, shipped_config

ALERTING = {
    "receiver": {"auth": {"type": "none"}},
    "mappings": [{
        "name": "queue-floor", "alertname": "QueueBacklog", "group": "demo-web",
        "action": {"type": "floor", "min_capacity": 6, "max_duration_seconds": 3600},
    }],
}


def _payload(status: str) -> dict[str, object]:
    alert = {
        "status": status, "labels": {"alertname": "QueueBacklog", "service": "worker"}, "annotations": {},
        "startsAt": "2026-03-02T06:00:00Z", "endsAt": "2026-03-02T06:20:00Z" if status == "resolved" else
        "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph", "fingerprint": "c0ffee0123456789",
    }
    return {"version": "4", "groupKey": "{}:{alertname=\"QueueBacklog\"}", "truncatedAlerts": 0, "status": status,
            "receiver": "autoscaler", "groupLabels": {"alertname": "QueueBacklog"},
            "commonLabels": alert["labels"], "commonAnnotations": {}, "externalURL": "http://alertmanager",
            "alerts": [alert]}


async def _scenario(tmp_path: Path) -> tuple[list[int], list[str]]:
    from autoscaler.alerting import AlertingSettings

    clock = VirtualClock(T0)
    config = shipped_config(tmp_path, listen="127.0.0.1:0",
                            alerting=AlertingSettings.model_validate(ALERTING))
    rt = await build_runtime(config, base=ROOT / "config", environ={}, clock=clock)
    server = await start_server(rt, "127.0.0.1:0")
    totals: list[int] = []
    results: list[str] = []
    ticker = rt.controller.tickers[0]
    try:
        async with httpx.AsyncClient(base_url=server.url, trust_env=False) as http:
            for _ in range(3):  # Alertmanager repeats; replicas duplicate
                response = await http.post("/alerts", json=_payload("firing"))
                assert response.status_code in (200, 202), response.text
            for minute in range(8):
                report = await rt.controller.tick_once(ticker)
                assert report is not None
                totals.append(report.view.capacity.total)
                results.append(f"{report.decision.policy}:{report.outcome.result.value}")
                if minute == 3:
                    for _ in range(2):
                        assert (await http.post("/alerts", json=_payload("resolved"))).status_code in (200, 202)
                clock.advance(timedelta(seconds=60))
    finally:
        await server.stop()
        await rt.aclose()
    return totals, results


def test_repeated_firing_notifications_raise_the_floor_once_and_resolved_releases_it(tmp_path: Path) -> None:
    totals, results = asyncio.run(_scenario(tmp_path))
    floor_actions = [r for r in results if r == f"alert-floor:{Result.EXECUTED.value}"]
    assert len(floor_actions) == 1, results
    assert max(totals[:4]) >= 6 or totals[1] >= 6, totals
    # after "resolved" (sent after the fourth tick) the floor no longer shapes any decision
    assert not any(r.startswith("alert-floor") for r in results[4:]), results
