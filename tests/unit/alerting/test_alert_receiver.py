"""The webhook endpoint: authentication first, bounded bodies, 400 with the reason, and nothing changes on refusal."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from autoscaler.alerting import (
    AlertQueue,
    AlertReceiver,
    MappingConfigError,
    QueueLimits,
    ReceiverSettings,
    load_mappings,
    load_receiver_settings,
)
from autoscaler.clock import VirtualClock
from autoscaler.observability.metrics import AutoscalerMetrics

Factory = Callable[..., dict[str, Any]]
TOKEN = "s3cr3t-token-0123456789"
PASSWORD = "correct horse battery"
MAPPINGS = load_mappings({"mappings": [
    {"name": "web-out", "alertname": "HighLoad", "group": "asg-web",
     "action": {"type": "execute_rule", "scaling_rule_ari": "ari:acs:ess:cn-hangzhou:1:scalingrule/asr-1"}},
    {"name": "web-floor", "alertname": "HighLoad", "group": "asg-web",
     "action": {"type": "floor", "min_capacity": 5, "max_duration_seconds": 3600}},
]})
BEARER = {"auth": {"type": "bearer", "token": TOKEN}}
BASIC = {"auth": {"type": "basic", "username": "alertmanager", "password": PASSWORD}}


class Harness:
    def __init__(self, settings: dict[str, Any], *, peer: str = "127.0.0.1", limits: QueueLimits | None = None):
        self.clock = VirtualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
        self.queue = AlertQueue(clock=self.clock, limits=limits)
        self.app = AlertReceiver(settings=load_receiver_settings(settings), mappings=MAPPINGS, sink=self.queue,
                                 clock=self.clock)
        self.peer = peer

    def post(self, content: bytes | dict[str, Any], *, headers: dict[str, str] | None = None,
             path: str = "/alerts", method: str = "POST") -> httpx.Response:
        raw = content if isinstance(content, bytes) else json.dumps(content).encode()
        return asyncio.run(self._request(method, path, raw, headers or {}))

    async def _request(self, method: str, path: str, raw: bytes, headers: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app, client=(self.peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://controller") as client:
            return await client.request(method, path, content=raw, headers=headers)

    def unchanged(self) -> bool:
        drained = self.queue.drain("asg-web")
        return drained.action is None and drained.floor is None


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_bearer_token_is_accepted_and_the_intents_are_queued(body: Factory) -> None:
    h = Harness(BEARER)
    response = h.post(body(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "alerts": 1, "intents": 2, "queued": 1, "duplicates": 0,
                               "coalesced": 0, "floors_set": 1, "floors_released": 0, "ignored": 0}
    drained = h.queue.drain("asg-web")
    assert drained.action is not None and drained.floor == 5


def test_basic_auth_is_accepted(body: Factory) -> None:
    h = Harness(BASIC)
    assert h.post(body(), headers=_basic("alertmanager", PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("settings", "headers", "challenge", "reason"),
    [
        (BEARER, {}, 'Bearer realm="autoscaler"', "missing credentials"),
        (BEARER, {"Authorization": "Bearer wrong-token-0123456789"}, "Bearer", "invalid credentials"),
        (BEARER, {"Authorization": TOKEN}, "Bearer", "invalid credentials"),
        (BEARER, _basic("alertmanager", TOKEN), "Bearer", "invalid credentials"),
        (BASIC, {}, 'Basic realm="autoscaler", charset="UTF-8"', "missing credentials"),
        (BASIC, _basic("alertmanager", "wrong password!"), "Basic", "invalid credentials"),
        (BASIC, _basic("someone", PASSWORD), "Basic", "invalid credentials"),
        (BASIC, {"Authorization": "Basic !!!not-base64"}, "Basic", "invalid credentials"),
        (BASIC, {"Authorization": "Basic " + base64.b64encode(b"alertmanager").decode()}, "Basic",
         "invalid credentials"),
        (BASIC, {"Authorization": f"Bearer {TOKEN}"}, "Basic", "invalid credentials"),
    ],
)
def test_unauthenticated_requests_get_401_and_change_nothing(
    body: Factory, settings: dict[str, Any], headers: dict[str, str], challenge: str, reason: str
) -> None:
    h = Harness(settings)
    response = h.post(body(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith(challenge)
    assert response.json() == {"error": reason}
    assert h.unchanged()


def test_disabled_authentication_accepts_loopback_peers_only(body: Factory) -> None:
    assert Harness({"auth": {"type": "none"}}, peer="127.0.0.1").post(body()).status_code == 200
    assert Harness({"auth": {"type": "none"}}, peer="::1").post(body()).status_code == 200
    remote = Harness({"auth": {"type": "none"}}, peer="10.0.0.7")
    response = remote.post(body())
    assert response.status_code == 403
    assert remote.unchanged()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.1.2.3"])
def test_disabled_authentication_is_allowed_on_a_loopback_listen_address(host: str) -> None:
    ReceiverSettings.model_validate({"auth": {"type": "none"}}).check_listen_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7", "controller.example", ""])
def test_disabled_authentication_is_refused_on_any_other_listen_address(host: str) -> None:
    with pytest.raises(MappingConfigError, match=r"auth\.type: 'none' is allowed only on a loopback"):
        ReceiverSettings.model_validate({"auth": {"type": "none"}}).check_listen_host(host)


def test_a_short_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(MappingConfigError) as caught:
        load_receiver_settings({"auth": {"type": "bearer", "token": "hunter2"}})
    assert "alerting.receiver: auth.token:" in str(caught.value) and "hunter2" not in str(caught.value)


def test_secrets_never_appear_in_reprs_or_logs(body: Factory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    h = Harness(BEARER)
    h.post(body(), headers={"Authorization": f"Bearer {TOKEN}"})
    h.post(body(), headers={"Authorization": "Bearer not-the-token-0123456789"})
    shown = repr(load_receiver_settings(BEARER)) + repr(h.app) + caplog.text
    assert TOKEN not in shown and "not-the-token" not in shown
    assert "alert webhook refused: invalid credentials" in caplog.text


def test_a_declared_oversized_body_gets_413_and_changes_nothing(body: Factory) -> None:
    h = Harness({**BEARER, "max_body_bytes": 1024})
    big = body(*[{**body()["alerts"][0], "fingerprint": f"{n:04x}"} for n in range(40)])
    response = h.post(big, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 413
    assert response.json() == {"error": "body: larger than the limit of 1024 bytes"}
    assert h.unchanged()


def test_an_undeclared_oversized_body_is_read_only_up_to_the_limit() -> None:
    h = Harness({**BEARER, "max_body_bytes": 1024})
    chunks = [b"x" * 512] * 100
    received: list[int] = []
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": chunks[len(received) - 1], "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/alerts", "client": ("127.0.0.1", 1),
             "headers": [(b"authorization", f"Bearer {TOKEN}".encode())]}
    asyncio.run(h.app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert len(received) == 3  # 512 + 512 + 512 > 1024: stopped at the third chunk
    assert h.unchanged()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{", "(body): not valid JSON"),
        (b'{"version": "4"}', "groupKey: Field required"),
    ],
)
def test_a_malformed_body_gets_400_with_the_reason_and_changes_nothing(content: bytes, reason: str) -> None:
    h = Harness(BEARER)
    response = h.post(content, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert h.unchanged()


def test_one_bad_alert_refuses_the_whole_notification(body: Factory, alert: Factory) -> None:
    h = Harness(BEARER)
    raw = body(alert(fingerprint="aa"), alert(fingerprint="bb", starts_at="not a time"))
    response = h.post(raw, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400 and "alerts[1].startsAt" in response.json()["error"]
    assert h.unchanged()


def test_a_full_queue_answers_503_so_that_alertmanager_retries(body: Factory, alert: Factory) -> None:
    h = Harness(BEARER, limits=QueueLimits(max_floors=1))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert h.post(body(alert(fingerprint="aa")), headers=auth).status_code == 200
    response = h.post(body(alert(fingerprint="bb")), headers=auth)
    assert response.status_code == 503 and response.headers["retry-after"] == "30"


def test_repeated_notifications_queue_one_action(body: Factory) -> None:
    h = Harness(BEARER)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers = [h.post(body(), headers=auth).json() for _ in range(5)]
    assert [a["queued"] for a in answers] == [1, 0, 0, 0, 0]
    assert [a["duplicates"] for a in answers[1:]] == [2, 2, 2, 2]  # the action and the floor
    assert h.queue.drain("asg-web").action is not None
    assert h.queue.drain("asg-web").action is None


def test_resolved_notifications_end_the_floor(body: Factory, alert: Factory) -> None:
    h = Harness(BEARER)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    h.post(body(alert()), headers=auth)
    assert h.queue.drain("asg-web").floor == 5
    assert h.post(body(alert(status="resolved")), headers=auth).json()["floors_released"] == 1
    assert h.queue.drain("asg-web").floor is None


def test_other_methods_and_paths_are_refused(body: Factory) -> None:
    h = Harness(BEARER)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert h.post(b"", method="GET", headers=auth).status_code == 405
    assert h.post(body(), path="/metrics", headers=auth).status_code == 404
    assert h.unchanged()


def test_the_app_also_works_mounted_under_its_path(body: Factory) -> None:
    h = Harness(BEARER)
    sent: list[MutableMapping[str, Any]] = []
    raw = json.dumps(body()).encode()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "root_path": "/alerts", "client": ("127.0.0.1", 1),
             "headers": [(b"authorization", f"Bearer {TOKEN}".encode())]}
    asyncio.run(h.app(scope, receive, send))
    assert sent[0]["status"] == 200


def test_alerts_are_counted_in_the_autoscaler_metrics(body: Factory, alert: Factory) -> None:
    registry = CollectorRegistry()
    metrics = AutoscalerMetrics(registry)
    h = Harness(BEARER)
    h.app = AlertReceiver(settings=load_receiver_settings(BEARER), mappings=MAPPINGS, sink=h.queue, clock=h.clock,
                          metrics=metrics)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    h.post(body(alert(fingerprint="aa"), alert(fingerprint="bb", status="resolved")), headers=auth)
    h.post(body(), headers={})
    h.post(b"{", headers=auth)

    def count(status: str, result: str) -> float | None:
        return registry.get_sample_value("autoscaler_alerts_received_total", {"status": status, "result": result})

    assert (count("firing", "accepted"), count("resolved", "accepted")) == (1.0, 1.0)
    assert (count("unknown", "unauthorized"), count("unknown", "malformed")) == (1.0, 1.0)
