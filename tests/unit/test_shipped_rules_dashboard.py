"""The shipped Grafana dashboard loads, is laid out on Grafana's grid, and queries only declared metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from autoscaler.observability.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "config" / "grafana" / "autoscaler-dashboard.json"
BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__range"}


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs


def test_the_dashboard_is_valid_json_with_an_identity() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "autoscaler-overview" and dashboard["title"] == "Autoscaler"
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["panels"]


def test_panels_have_unique_ids_and_fit_the_grid() -> None:
    panels = _dashboard()["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
        if panel["type"] != "row":
            assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_panels_reference_only_declared_metrics() -> None:
    declared = {spec.name for spec in CATALOGUE}
    used = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for expr in _exprs(_dashboard())
        for name in re.findall(r"\bautoscaler_[a-z_]+", expr)
    }
    assert used <= declared, used - declared
    # capacity, metrics against target, and decisions are the point of the dashboard
    assert {"autoscaler_capacity", "autoscaler_desired_capacity", "autoscaler_metric_value",
            "autoscaler_decisions_total"} <= used


def test_every_variable_a_query_uses_is_defined() -> None:
    dashboard = _dashboard()
    defined = {v["name"] for v in dashboard["templating"]["list"]} | BUILTIN_VARIABLES
    used = {name for expr in _exprs(dashboard) for name in re.findall(r"\$(\w+)", expr)}
    assert used <= defined, used - defined
