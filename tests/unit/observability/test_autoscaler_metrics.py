"""Every autoscaler_* metric is declared once, bounded, and readable from a fresh registry."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from autoscaler.observability import CATALOGUE, AutoscalerMetrics, GroupBoard, GroupState


def _fresh() -> tuple[CollectorRegistry, AutoscalerMetrics, GroupBoard]:
    registry = CollectorRegistry()
    board = GroupBoard()
    return registry, AutoscalerMetrics(registry, state=board), board


def test_decisions_are_counted_by_group_policy_direction_and_result() -> None:
    registry, metrics, _ = _fresh()
    metrics.decision(group="web", policy="cpu", direction="out", result="executed")
    metrics.decision(group="web", policy="cpu", direction="out", result="executed")
    metrics.decision(group="web", policy="cpu", direction="in", result="shadow")
    labels = {"group": "web", "policy": "cpu", "direction": "out", "result": "executed"}
    assert registry.get_sample_value("autoscaler_decisions_total", labels) == 2.0
    shadow_in = {**labels, "direction": "in", "result": "shadow"}
    assert registry.get_sample_value("autoscaler_decisions_total", shadow_in) == 1


@pytest.mark.parametrize(("direction", "result", "field"), [("up", "executed", "direction"), ("in", "done", "result")])
def test_an_unknown_direction_or_result_is_refused(direction: str, result: str, field: str) -> None:
    _, metrics, _ = _fresh()
    with pytest.raises(ValueError, match=f"^{field}"):
        metrics.decision(group="web", policy="cpu", direction=direction, result=result)  # type: ignore[arg-type]


def test_an_empty_label_value_is_refused() -> None:
    _, metrics, _ = _fresh()
    with pytest.raises(ValueError, match="non-empty"):
        metrics.ess_request(action="", code="OK")


def test_ess_requests_ticks_sources_maintenance_alerts_and_notifications_are_counted() -> None:
    registry, metrics, _ = _fresh()
    metrics.ess_request(action="ExecuteScalingRule", code="Throttling")
    metrics.observe_tick(group="web", seconds=0.03)
    metrics.metric_source_up(source="prometheus", up=False)
    metrics.maintenance_failure(group="web", step="redeploy")
    metrics.alert_received(status="firing", result="executed")
    metrics.notification(channel="webhook", result="failed")
    value = registry.get_sample_value
    assert value("autoscaler_ess_requests_total", {"action": "ExecuteScalingRule", "code": "Throttling"}) == 1
    assert value("autoscaler_tick_duration_seconds_count", {"group": "web"}) == 1
    assert value("autoscaler_tick_duration_seconds_bucket", {"group": "web", "le": "0.05"}) == 1
    assert value("autoscaler_tick_duration_seconds_bucket", {"group": "web", "le": "0.025"}) == 0
    assert value("autoscaler_metric_source_up", {"source": "prometheus"}) == 0
    assert value("autoscaler_maintenance_failures_total", {"group": "web", "step": "redeploy"}) == 1
    assert value("autoscaler_alerts_received_total", {"status": "firing", "result": "executed"}) == 1
    assert value("autoscaler_notifications_total", {"channel": "webhook", "result": "failed"}) == 1


def test_state_gauges_are_read_from_the_provider_at_scrape_time() -> None:
    registry, _, board = _fresh()
    assert registry.get_sample_value("autoscaler_desired_capacity", {"group": "web"}) is None
    board.publish(GroupState(group="web", desired_capacity=5, total=4, serving=2, pending=1, standby=1,
                             in_maintenance=1, protected=2, zone_imbalance=1, min_size=1, max_size=10,
                             last_successful_tick=1700000000.0,
                             metric_values={("cpu", "cpu_utilisation"): 0.72}))
    value = registry.get_sample_value
    assert value("autoscaler_desired_capacity", {"group": "web"}) == 5
    assert [value("autoscaler_capacity", {"group": "web", "state": s}) for s in
            ("total", "serving", "pending", "standby")] == [4, 2, 1, 1]
    assert value("autoscaler_metric_value", {"group": "web", "policy": "cpu", "metric": "cpu_utilisation"}) == 0.72
    assert value("autoscaler_last_successful_tick_timestamp_seconds", {"group": "web"}) == 1700000000.0
    assert value("autoscaler_instances_in_maintenance", {"group": "web"}) == 1
    assert value("autoscaler_protected_instances", {"group": "web"}) == 2
    assert value("autoscaler_zone_imbalance", {"group": "web"}) == 1
    assert value("autoscaler_group_min_size", {"group": "web"}) == 1
    assert value("autoscaler_group_max_size", {"group": "web"}) == 10
    board.publish(GroupState(group="web", desired_capacity=6, total=6, serving=6, pending=0, standby=0))
    assert value("autoscaler_desired_capacity", {"group": "web"}) == 6
    assert value("autoscaler_last_successful_tick_timestamp_seconds", {"group": "web"}) is None
    board.remove("web")
    assert value("autoscaler_capacity", {"group": "web", "state": "total"}) is None


def test_without_a_provider_the_metrics_own_a_board() -> None:
    registry = CollectorRegistry()
    metrics = AutoscalerMetrics(registry)
    assert metrics.board is not None
    metrics.board.publish(GroupState(group="g", desired_capacity=1, total=1, serving=1, pending=0, standby=0))
    assert registry.get_sample_value("autoscaler_capacity", {"group": "g", "state": "serving"}) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group": ""}, "group"),
        ({"serving": -1}, "serving"),
        ({"max_size": -1}, "max_size"),
        ({"last_successful_tick": float("nan")}, "last_"),
        ({"metric_values": {("p", "m"): float("inf")}}, "metric_values"),
    ],
)
def test_an_invalid_group_state_is_refused(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"group": "g", "desired_capacity": 1, "total": 1, "serving": 1, "pending": 0,
                               "standby": 0}
    with pytest.raises(ValueError, match=f"^{field}"):
        GroupState(**{**base, **kwargs})  # type: ignore[arg-type]


def test_the_exposition_holds_every_catalogued_metric_with_help_and_no_instance_label() -> None:
    registry, metrics, board = _fresh()
    metrics.decision(group="web", policy="cpu", direction="out", result="executed")
    metrics.ess_request(action="DescribeScalingGroups", code="OK")
    metrics.observe_tick(group="web", seconds=0.1)
    metrics.metric_source_up(source="prom", up=True)
    metrics.maintenance_failure(group="web", step="exit_standby")
    metrics.alert_received(status="resolved", result="ignored")
    metrics.notification(channel="webhook", result="sent")
    board.publish(GroupState(group="web", desired_capacity=1, total=1, serving=1, pending=0, standby=0,
                             min_size=0, max_size=3, last_successful_tick=1.0, metric_values={("cpu", "cpu"): 0.5}))
    text = generate_latest(registry).decode()
    for spec in CATALOGUE:
        assert f"# HELP {spec.name} " in text, spec.name
        assert spec.name.startswith("autoscaler_")
        assert "instance" not in " ".join(spec.labels)
        assert spec.kind != "counter" or spec.name.endswith("_total")


def test_registering_twice_on_one_registry_is_refused() -> None:
    registry = CollectorRegistry()
    AutoscalerMetrics(registry)
    with pytest.raises(ValueError, match="Duplicated"):
        AutoscalerMetrics(registry)


def test_a_thousand_groups_update_and_scrape_cheaply() -> None:
    registry, metrics, board = _fresh()
    start = time.perf_counter()
    for tick in range(3):
        for n in range(1000):
            group = f"g{n}"
            metrics.observe_tick(group=group, seconds=0.01)
            metrics.decision(group=group, policy="cpu", direction="out", result="shadow")
            board.publish(GroupState(group=group, desired_capacity=tick, total=tick, serving=tick, pending=0,
                                     standby=0, last_successful_tick=1.0, metric_values={("cpu", "cpu"): 0.5}))
    updates = time.perf_counter() - start
    scrape_start = time.perf_counter()
    generate_latest(registry)
    scrape = time.perf_counter() - scrape_start
    # Generous bounds (shared CI machines); the point is no per-update label churn.
    assert updates < 2.0 and scrape < 3.0


def test_every_metric_is_documented_in_docs_observability() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "observability.md").read_text()
    for spec in CATALOGUE:
        assert f"| `{spec.name}` | {spec.kind} | {', '.join(spec.labels)} |" in docs, spec.name
