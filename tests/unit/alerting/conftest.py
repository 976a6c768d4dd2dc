"""Builders of Alertmanager webhook bodies for the alerting tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)





def make_alert(
    name: str = "HighLoad",
    *,
    status: str = "firing",
    fingerprint: str = "0123456789abcdef",
    starts_at: str = "2026-03-01T11:59:00.123456789Z",
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} is {status}"},
        "startsAt": starts_at,
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-01T12:05:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def make_body(*alerts: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    alerts = alerts or (make_alert(),)
    overall = status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved")
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLoad"}',
        "truncatedAlerts": 0,
        "status": overall,
        "receiver": "autoscaler",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


@pytest.fixture
def alert() -> Callable[..., dict[str, Any]]:
    return make_alert


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    return make_body
