"""The webhook payload parser accepts what Alertmanager sends and names the field of what it refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest

from autoscaler.alerting import PayloadError, parse_payload

AlertFactory = Callable[..., dict[str, Any]]
BodyFactory = Callable[..., dict[str, Any]]


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_a_real_alertmanager_body_parses_into_utc_times(alert: AlertFactory, body: BodyFactory) -> None:
    payload = parse_payload(_dump(body(alert(starts_at="2026-03-01T19:59:00.5+08:00", service="web"))))
    [only] = payload.alerts
    assert payload.version == "4" and payload.status == "firing" and payload.receiver == "autoscaler"
    assert only.name == "HighLoad" and only.labels["service"] == "web"
    assert only.starts_at == datetime(2026, 3, 1, 11, 59, 0, 500000, tzinfo=UTC)
    assert only.ends_at is None  # Go's zero time means "not set"
    assert payload.group_key == '{}:{alertname="HighLoad"}'


def test_nanosecond_timestamps_and_unknown_fields_are_accepted(alert: AlertFactory, body: BodyFactory) -> None:
    raw = body(alert(status="resolved"))
    raw["someFutureField"] = {"x": 1}
    raw["alerts"][0]["silencedBy"] = []
    payload = parse_payload(_dump(raw))
    assert payload.alerts[0].status == "resolved"
    assert payload.alerts[0].ends_at == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def test_parsed_payloads_are_frozen(body: BodyFactory) -> None:
    payload = parse_payload(_dump(body()))
    with pytest.raises(pydantic.ValidationError):
        payload.alerts[0].status = "resolved"  # the point: assignment is refused


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda b: b.update(version="3"), "version:"),
        (lambda b: b.pop("alerts"), "alerts: Field required"),
        (lambda b: b.pop("groupKey"), "groupKey: Field required"),
        (lambda b: b.update(status="pending"), "status:"),
        (lambda b: b.update(truncatedAlerts=-1), "truncatedAlerts:"),
        (lambda b: b["alerts"][0].update(startsAt="2026-03-01T11:59:00"), "alerts[0].startsAt: naive time"),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt:"),
        (lambda b: b["alerts"][0].update(fingerprint="not hex!"), "alerts[0].fingerprint:"),
        (lambda b: b["alerts"][0]["labels"].update(replicas=3), "alerts[0].labels.replicas:"),
        (lambda b: b["alerts"][0]["labels"].pop("alertname"), "alerts[0].labels: the label 'alertname' is required"),
        (lambda b: b["alerts"][0].update(status=None), "alerts[0].status:"),
    ],
)
def test_a_malformed_body_is_refused_naming_the_field(body: BodyFactory, mutate: Any, expected: str) -> None:
    raw = body()
    mutate(raw)
    with pytest.raises(PayloadError) as caught:
        parse_payload(_dump(raw))
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(b"{not json", "(body): not valid JSON"), (b"[]", "(body): expected a JSON object, got list"),
     (b"\xff\xfe", "(body): not valid JSON")],
)
def test_a_body_that_is_not_a_json_object_is_refused(raw: bytes, expected: str) -> None:
    with pytest.raises(PayloadError, match=r"^" + re.escape(expected)):
        parse_payload(raw)
