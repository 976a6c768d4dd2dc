"""Outbound notifications: ESS-shaped JSON, bounded retries, filters, and no secret in the logs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry

from autoscaler.alerting import (
    Delivery,
    MappingConfigError,
    NotificationQueue,
    NotificationType,
    Notifier,
    ScalingEvent,
    WebhookNotifier,
    event_type,
    load_notifier_settings,
)
from autoscaler.observability.metrics import AutoscalerMetrics

T = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
SECRET = "Bearer xoxb-very-secret"


def _event(kind: NotificationType = NotificationType.SCALE_OUT_SUCCESS, group: str = "asg-web") -> ScalingEvent:
    return ScalingEvent(type=kind, time=T, group_id=group, origin="controller", region_id="cn-hangzhou",
                        activity_id="asa-1", policy="cpu", cause="cpu 91% > target 60%",
                        capacity_before=2, capacity_after=4)


class Recorder:
    def __init__(self, statuses: Sequence[int | type[Exception]]) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(outcome, type):
            raise outcome("scripted failure", request=request)  # type: ignore[call-arg]
        return httpx.Response(outcome, json={})


def _notifier(recorder: Recorder, sleeps: list[float], *, url: str = "https://hooks.example/notify?key=abc",
              **settings: object) -> WebhookNotifier:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    config = {"targets": [{"url": url,
                           "headers": {"Authorization": SECRET}}], **settings}
    return WebhookNotifier(settings=load_notifier_settings(config), transport=httpx.MockTransport(recorder),
                           sleep=sleep)


def _send(notifier: Notifier, event: ScalingEvent) -> Sequence[Delivery]:
    async def run() -> Sequence[Delivery]:
        try:
            return await notifier.send(event)
        finally:
            if isinstance(notifier, WebhookNotifier):
                await notifier.aclose()

    return asyncio.run(run())


def test_the_notification_types_are_the_documented_ones(shared_dir: Path) -> None:
    spec = yaml.safe_load((shared_dir / "spec" / "ess-api-part2.yaml").read_text())
    action = next(a for a in spec["actions"] if a["name"] == "DescribeNotificationTypes")
    documented = {e["value"] for e in action["response_types"]["NotificationTypeSet"][0]["enum"]}
    assert {t.value for t in NotificationType} == documented


def test_event_types_follow_direction_and_outcome() -> None:
    assert event_type("out", "success") is NotificationType.SCALE_OUT_SUCCESS
    assert event_type("in", "error") is NotificationType.SCALE_IN_ERROR
    assert event_type("in", "start") is NotificationType.SCALE_IN_START


def test_a_delivered_notification_is_ess_shaped_json_with_the_secret_header() -> None:
    recorder, sleeps = Recorder([200]), list[float]()
    [delivery] = _send(_notifier(recorder, sleeps), _event())
    assert delivery == Delivery(target="https://hooks.example/notify", ok=True, attempts=1, status=200)
    [request] = recorder.requests
    assert request.headers["authorization"] == SECRET
    assert request.headers["x-autoscaler-event-id"] == _event().event_id
    assert json.loads(request.content) == {
        "product": "ESS", "event": "AUTOSCALING:SCALE_OUT_SUCCESS", "eventId": _event().event_id,
        "time": "2026-03-01T12:00:05Z", "regionId": "cn-hangzhou",
        "resourceArn": "acs:ess:cn-hangzhou:*:scalinggroup/asg-web",
        "content": {"scalingGroupId": "asg-web", "scalingActivityId": "asa-1", "origin": "controller",
                    "policy": "cpu", "cause": "cpu 91% > target 60%", "description": "",
                    "totalCapacityBefore": 2, "totalCapacityAfter": 4, "instanceIds": []},
    }


def test_server_errors_and_throttling_are_retried_with_backoff() -> None:
    recorder, sleeps = Recorder([503, 429, 200]), list[float]()
    [delivery] = _send(_notifier(recorder, sleeps, max_attempts=4), _event())
    assert (delivery.ok, delivery.attempts) == (True, 3)
    assert sleeps == [0.5, 1.0]


def test_timeouts_are_retried_and_a_lasting_failure_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    recorder, sleeps = Recorder([httpx.ReadTimeout]), list[float]()
    [delivery] = _send(_notifier(recorder, sleeps, base_delay_seconds=2, max_delay_seconds=3), _event())
    assert delivery == Delivery(target="https://hooks.example/notify", ok=False, attempts=3, error="ReadTimeout")
    assert sleeps == [2.0, 3.0]  # doubling, capped at max_delay_seconds
    assert "attempt 1/3 failed (ReadTimeout); will retry in 2.0s" in caplog.text


def test_a_client_error_is_not_retried() -> None:
    recorder, sleeps = Recorder([400]), list[float]()
    [delivery] = _send(_notifier(recorder, sleeps), _event())
    assert (delivery.ok, delivery.attempts, delivery.status, delivery.error) == (False, 1, 400, "HTTP 400")
    assert sleeps == []


def test_secrets_in_headers_and_urls_never_reach_logs_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="autoscaler")
    recorder = Recorder([500])
    notifier = _notifier(recorder, [], url="https://user:pw@hooks.example/notify?key=abc")
    _send(notifier, _event())
    shown = caplog.text + repr(notifier) + repr(notifier.settings)
    assert "xoxb-very-secret" not in shown and "key=abc" not in shown and "pw@" not in shown
    assert "https://hooks.example/notify" in caplog.text


def test_targets_receive_only_the_types_and_groups_they_subscribe_to() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}:{json.loads(request.content)['event']}")
        return httpx.Response(204)

    settings = load_notifier_settings({"targets": [
        {"url": "http://errors.example/", "types": ["AUTOSCALING:SCALE_OUT_ERROR", "AUTOSCALING:SCALE_IN_ERROR"]},
        {"url": "http://web.example/", "groups": ["asg-web"]},
    ]})
    notifier = WebhookNotifier(settings=settings, transport=httpx.MockTransport(handler))

    async def run() -> None:
        await notifier.send(_event(NotificationType.SCALE_OUT_ERROR, group="asg-api"))
        await notifier.send(_event(NotificationType.SCALE_IN_SUCCESS, group="asg-web"))
        assert await notifier.send(_event(NotificationType.SCALE_REJECT, group="asg-api")) == ()
        await notifier.aclose()

    asyncio.run(run())
    assert seen == ["errors.example:AUTOSCALING:SCALE_OUT_ERROR", "web.example:AUTOSCALING:SCALE_IN_SUCCESS"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"targets": [{"url": "ftp://x"}]}, "notifications: targets[0].url:"),
        ({"targets": [{"url": "http://x", "types": ["AUTOSCALING:SCALE_SIDEWAYS"]}]}, "targets[0].types[0]:"),
        ({"targets": [{"url": "http://x", "timeout_seconds": 0}]}, "targets[0].timeout_seconds:"),
        ({"targets": [{"url": "http://x", "headers": {"Bad Header": "v"}}]}, "targets[0].headers: "),
        ({"max_attempts": 0}, "notifications: max_attempts:"),
    ],
)
def test_bad_notification_settings_name_the_field(config: dict[str, object], expected: str) -> None:
    with pytest.raises(MappingConfigError) as caught:
        load_notifier_settings(config)
    assert expected in str(caught.value)


def test_events_are_utc_and_their_id_is_stable() -> None:
    local = ScalingEvent(type=NotificationType.SCALE_IN_START, time=T.astimezone(timezone(timedelta(hours=8))),
                         group_id="g", origin="observed")
    assert local.time == T and local.time.tzinfo is UTC
    assert local.event_id == ScalingEvent(type=NotificationType.SCALE_IN_START, time=T, group_id="g",
                                          origin="observed").event_id
    with pytest.raises(ValueError, match="time: naive datetime"):
        ScalingEvent(type=NotificationType.SCALE_IN_START, time=datetime(2026, 1, 1), group_id="g",
                     origin="observed")


def test_the_webhook_notifier_satisfies_the_protocol() -> None:
    check: Callable[[object], bool] = lambda n: isinstance(n, Notifier)  # noqa: E731
    assert check(_notifier(Recorder([200]), []))


def test_deliveries_are_counted_in_the_autoscaler_metrics() -> None:
    registry = CollectorRegistry()
    notifier = _notifier(Recorder([200]), [])
    notifier.metrics = AutoscalerMetrics(registry)
    _send(notifier, _event())
    notifier.transport = httpx.MockTransport(Recorder([400]))
    _send(notifier, _event())
    labels = {"channel": "webhook"}
    assert registry.get_sample_value("autoscaler_notifications_total", {**labels, "result": "sent"}) == 1.0
    assert registry.get_sample_value("autoscaler_notifications_total", {**labels, "result": "failed"}) == 1.0


class Collecting:
    def __init__(self, fail_first: bool = False) -> None:
        self.events: list[ScalingEvent] = []
        self.fail_first = fail_first

    async def send(self, event: ScalingEvent) -> Sequence[Delivery]:
        if self.fail_first:
            self.fail_first = False
            raise RuntimeError("a notifier bug")
        self.events.append(event)
        return ()


def test_the_notification_queue_delivers_in_order_without_blocking_the_poster() -> None:
    async def run() -> list[ScalingEvent]:
        inner = Collecting(fail_first=True)
        queue = NotificationQueue(inner, capacity=10)
        events = [_event(kind) for kind in (NotificationType.SCALE_OUT_START, NotificationType.SCALE_OUT_SUCCESS,
                                            NotificationType.SCALE_IN_START)]
        assert all(queue.post(e) for e in events)
        task = asyncio.create_task(queue.run())
        await queue.flush()
        task.cancel()
        return inner.events

    delivered = asyncio.run(run())
    assert [e.type for e in delivered] == [NotificationType.SCALE_OUT_SUCCESS, NotificationType.SCALE_IN_START]


def test_a_full_notification_queue_drops_and_counts() -> None:
    async def run() -> NotificationQueue:
        queue = NotificationQueue(Collecting(), capacity=1)
        assert queue.post(_event()) is True
        assert queue.post(_event()) is False
        return queue

    assert asyncio.run(run()).dropped == 1
