"""Alert mappings: matching like Alertmanager, clear configuration errors, deterministic tokens."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from autoscaler.alerting import (
    ActionIntent,
    AlertMappings,
    FloorIntent,
    FloorRelease,
    MappingConfigError,
    StepAction,
    client_token,
    evaluate,
    load_mappings,
    parse_payload,
)
from autoscaler.alerting.mapping import LabelMatcher
from autoscaler.ess import AdjustmentType

Factory = Callable[..., dict[str, Any]]
ARI = "ari:acs:ess:cn-hangzhou:1344371:scalingrule/asr-web-out"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _mappings(*entries: dict[str, Any]) -> AlertMappings:
    return load_mappings({"mappings": list(entries)})


def _execute(name: str = "web-out", **extra: Any) -> dict[str, Any]:
    return {"name": name, "alertname": "HighLoad", "group": "asg-web",
            "action": {"type": "execute_rule", "scaling_rule_ari": ARI}, **extra}


def _floor(name: str = "web-floor", minimum: int = 6, seconds: float = 600, **extra: Any) -> dict[str, Any]:
    return {"name": name, "alertname": "HighLoad", "group": "asg-web",
            "action": {"type": "floor", "min_capacity": minimum, "max_duration_seconds": seconds}, **extra}


def _alerts(body: Factory, *alerts: dict[str, Any]) -> Any:
    return parse_payload(json.dumps(body(*alerts))).alerts


@pytest.mark.parametrize(
    ("op", "value", "labels", "expected"),
    [
        ("=", "web", {"service": "web"}, True),
        ("=", "web", {"service": "web2"}, False),
        ("!=", "web", {}, True),
        ("=~", "web|api", {"service": "api"}, True),
        ("=~", "web|api", {"service": "webapi"}, False),  # anchored, as in Alertmanager
        ("!~", "web.*", {"service": "db"}, True),
        ("=", "", {}, True),  # a missing label matches the empty string
    ],
)
def test_label_matchers_follow_alertmanager(op: str, value: str, labels: dict[str, str], expected: bool) -> None:
    assert LabelMatcher(name="service", op=op, value=value).matches(labels) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({**_execute(), "action": {"type": "execute_rule", "scaling_rule_ari": "asr-1"}},
         "mappings[0].action.scaling_rule_ari:"),
        ({**_execute(), "group_label": "sg"}, "mappings[0]: give exactly one of group or group_label"),
        ({**_execute(), "matchers": [{"name": "x", "op": "=~", "value": "("}]},
         "mappings[0].matchers[0]: value: invalid regular expression"),
        ({**_execute(), "action": {"type": "step", "policy": "cpu"}},
         "mappings[0].action: policy and step go together"),
        ({**_execute(), "action": {"type": "step", "policy": "cpu", "step": 0,
                                   "adjustment_type": "TotalCapacity", "adjustment_value": 3}},
         "mappings[0].action: give either policy and step"),
        ({**_execute(), "action": {"type": "step", "adjustment_type": "QuantityChangeInCapacity",
                                   "adjustment_value": 600}}, "mappings[0].action: adjustment_value:"),
        (_floor(seconds=8 * 86400), "mappings[0].action.max_duration_seconds:"),
        ({**_execute(), "actoin": 1}, "mappings[0].actoin: Extra inputs are not permitted"),
        ({**_execute(), "action": {"type": "scale"}}, "mappings[0].action:"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_field(entry: dict[str, Any], expected: str) -> None:
    with pytest.raises(MappingConfigError) as caught:
        _mappings(entry)
    assert str(caught.value).startswith("alerting: ")
    assert expected in str(caught.value)


def test_duplicate_mapping_names_are_refused() -> None:
    with pytest.raises(MappingConfigError, match=r"mappings\[1\].name: duplicate mapping name 'web-out'"):
        _mappings(_execute(), _execute())


def test_a_firing_alert_becomes_an_action_with_a_token_from_fingerprint_and_window(
    alert: Factory, body: Factory
) -> None:
    [intent] = evaluate(_alerts(body, alert()), _mappings(_execute()), NOW)
    assert isinstance(intent, ActionIntent)
    assert intent.group == "asg-web" and intent.action.type == "execute_rule"
    assert intent.client_token == client_token(
        mapping="web-out", group="asg-web", fingerprint="0123456789abcdef", starts_at=intent.starts_at
    )
    assert len(intent.client_token) <= 64 and intent.client_token.isascii()


def test_the_same_firing_window_always_gives_the_same_token(alert: Factory, body: Factory) -> None:
    mappings = _mappings(_execute())
    first = evaluate(_alerts(body, alert()), mappings, NOW)
    repeat = evaluate(_alerts(body, alert()), mappings, NOW + timedelta(hours=4))
    assert first == repeat


def test_a_new_firing_window_or_another_alert_gives_another_token(alert: Factory, body: Factory) -> None:
    mappings = _mappings(_execute())
    tokens = {
        evaluate(_alerts(body, a), mappings, NOW)[0].client_token  # type: ignore[union-attr]
        for a in (alert(), alert(starts_at="2026-03-01T11:59:30Z"), alert(fingerprint="fedcba9876543210"))
    }
    assert len(tokens) == 3


def test_matchers_and_names_select_the_alerts(alert: Factory, body: Factory) -> None:
    mappings = _mappings(_execute(matchers=[{"name": "env", "op": "=~", "value": "prod|stage"}]))
    alerts = _alerts(body, alert(env="prod"), alert("Other", env="prod"), alert(env="dev"))
    assert [i.fingerprint for i in evaluate(alerts, mappings, NOW)] == ["0123456789abcdef"]


def test_the_group_can_come_from_a_label(alert: Factory, body: Factory) -> None:
    entry = {**_execute(), "group": None, "group_label": "scaling_group"}
    alerts = _alerts(body, alert(scaling_group="asg-api"), alert(fingerprint="aa"))
    [intent] = evaluate(alerts, _mappings(entry), NOW)
    assert intent.group == "asg-api"


def test_a_resolved_alert_releases_its_floor_and_never_scales(alert: Factory, body: Factory) -> None:
    mappings = _mappings(_execute(), _floor())
    firing = evaluate(_alerts(body, alert()), mappings, NOW)
    resolved = evaluate(_alerts(body, alert(status="resolved")), mappings, NOW)
    assert [type(i) for i in firing] == [ActionIntent, FloorIntent]
    [release] = resolved
    assert isinstance(release, FloorRelease) and release.starts_at == firing[1].starts_at


def test_a_floor_lasts_at_most_its_maximum_duration_from_the_start_of_the_alert(
    alert: Factory, body: Factory
) -> None:
    mappings = _mappings(_floor(seconds=600))
    [floor] = evaluate(_alerts(body, alert()), mappings, NOW)
    assert isinstance(floor, FloorIntent)
    assert floor.expires_at == floor.starts_at + timedelta(seconds=600)
    assert evaluate(_alerts(body, alert()), mappings, floor.expires_at) == ()


def test_a_step_can_name_a_policy_step_or_an_adjustment() -> None:
    by_policy = StepAction(type="step", policy="cpu", step=1)
    by_value = StepAction(type="step", adjustment_type=AdjustmentType.PERCENT, adjustment_value=50,
                          min_adjustment_magnitude=2)
    assert (by_policy.policy, by_policy.step) == ("cpu", 1)
    assert by_value.adjustment_type is AdjustmentType.PERCENT


def test_evaluate_refuses_a_naive_now(alert: Factory, body: Factory) -> None:
    with pytest.raises(ValueError, match="now: naive datetime"):
        evaluate(_alerts(body, alert()), _mappings(_execute()), datetime(2026, 3, 1))
