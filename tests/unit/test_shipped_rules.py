"""The shipped Prometheus rules pass `promtool check rules`, fire as unit-tested, and use declared metrics only."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from autoscaler.observability.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "prometheus" / "autoscaler-rules.yml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.fail("promtool is missing: install the Debian package 'prometheus' (scripts/test.sh does)")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_promtool_check_rules_passes_on_the_shipped_rules() -> None:
    result = _promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_every_rule_has_a_severity_a_summary_and_a_runbook_in_the_docs() -> None:
    docs = (ROOT / "docs" / "alerting.md").read_text().lower()
    for rule in _rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor == rule["alert"].lower() and f"### {rule['alert'].lower()}" in docs, rule["alert"]


def test_the_rules_use_only_declared_metrics() -> None:
    declared = {spec.name for spec in CATALOGUE}
    used = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for rule in _rules()
        for name in re.findall(r"\bautoscaler_[a-z_]+", rule["expr"])
    }
    assert used <= declared, used - declared
    expected = {"autoscaler_last_successful_tick_timestamp_seconds", "autoscaler_decisions_total",
                "autoscaler_ess_requests_total", "autoscaler_capacity", "autoscaler_metric_source_up",
                "autoscaler_group_max_size"}
    assert expected <= used


def _render(template: str, labels: dict[str, str], value: str) -> str:
    """Enough of Go templating for our annotations: labels and ``$value`` (pre-formatted)."""
    text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], template)
    return re.sub(r"\{\{ \$value( \| \w+)? \}\}", value, text)


def _alert(name: str, severity: str, value: str = "", **labels: str) -> dict[str, Any]:
    """An expected alert with its annotations rendered from the shipped rule."""
    [rule] = [r for r in _rules() if r["alert"] == name]
    annotations = {k: _render(v, labels, value) for k, v in rule["annotations"].items()}
    return {"exp_labels": {"severity": severity, **labels}, "exp_annotations": annotations}


UNIT_TESTS: list[dict[str, Any]] = [
    {   # ticks every minute until 5m, then the timestamp stops moving
        "interval": "1m",
        "input_series": [
            {"series": 'autoscaler_last_successful_tick_timestamp_seconds{group="web"}', "values": "0+60x5 300x20"},
            {"series": 'autoscaler_last_successful_tick_timestamp_seconds{group="api"}', "values": "0+60x25"},
        ],
        "alert_rule_test": [
            {"eval_time": "9m", "alertname": "AutoscalerTickStale", "exp_alerts": []},
            {"eval_time": "14m", "alertname": "AutoscalerTickStale",
             "exp_alerts": [_alert("AutoscalerTickStale", "critical", "9m 0s", group="web")]},
        ],
    },
    {   # the source fails from minute 2 on
        "interval": "1m",
        "input_series": [
            {"series": 'autoscaler_metric_source_up{source="prometheus"}', "values": "1 1 0x10"},
            {"series": 'autoscaler_metric_source_up{source="file"}', "values": "1x12"},
        ],
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "AutoscalerMetricSourceDown", "exp_alerts": []},
            {"eval_time": "8m", "alertname": "AutoscalerMetricSourceDown",
             "exp_alerts": [_alert("AutoscalerMetricSourceDown", "critical", source="prometheus")]},
        ],
    },
    {   # web: scale-out suppressed every minute, never executed; api: executed too
        "interval": "1m",
        "input_series": [
            {"series": 'autoscaler_decisions_total{group="web",policy="cpu",direction="out",result="suppressed"}',
             "values": "0+1x90"},
            {"series": 'autoscaler_decisions_total{group="api",policy="cpu",direction="out",result="suppressed"}',
             "values": "0+1x90"},
            {"series": 'autoscaler_decisions_total{group="api",policy="cpu",direction="out",result="executed"}',
             "values": "0+1x90"},
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "AutoscalerDecisionsSuppressed", "exp_alerts": []},
            {"eval_time": "70m", "alertname": "AutoscalerDecisionsSuppressed",
             "exp_alerts": [_alert("AutoscalerDecisionsSuppressed", "warning", group="web", direction="out")]},
        ],
    },
    {   # web keeps one instance in standby; api's standby ends after 30 minutes
        "interval": "1m",
        "input_series": [
            {"series": 'autoscaler_capacity{group="web",state="standby"}', "values": "1x80"},
            {"series": 'autoscaler_capacity{group="api",state="standby"}', "values": "1x30 0 1x49"},
        ],
        "alert_rule_test": [
            {"eval_time": "30m", "alertname": "AutoscalerInstanceStuckInStandby", "exp_alerts": []},
            {"eval_time": "75m", "alertname": "AutoscalerInstanceStuckInStandby",
             "exp_alerts": [_alert("AutoscalerInstanceStuckInStandby", "warning", "1", group="web", state="standby")]},
        ],
    },
    {   # 1 error per minute on ExecuteScalingRule; NoChange answers do not count
        "interval": "1m",
        "input_series": [
            {"series": 'autoscaler_ess_requests_total{action="ExecuteScalingRule",code="Transport"}',
             "values": "0+1x30"},
            {"series": 'autoscaler_ess_requests_total{action="ExecuteScalingRule",code="IncorrectCapacity.NoChange"}',
             "values": "0+5x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "AutoscalerEssErrors",
             "exp_alerts": [_alert("AutoscalerEssErrors", "warning", "10", action="ExecuteScalingRule",
                                   code="Transport")]},
        ],
    },
    {   # desired capacity reaches MaxSize (10) at minute 10 and stays there
        "interval": "1m",
        "input_series": [
            {"series": 'autoscaler_desired_capacity{group="web"}', "values": "2+1x8 10x60"},
            {"series": 'autoscaler_group_max_size{group="web"}', "values": "10x70"},
        ],
        "alert_rule_test": [
            {"eval_time": "30m", "alertname": "AutoscalerGroupAtMaxSize", "exp_alerts": []},
            {"eval_time": "45m", "alertname": "AutoscalerGroupAtMaxSize",
             "exp_alerts": [_alert("AutoscalerGroupAtMaxSize", "warning", group="web")]},
        ],
    },
]


def test_promtool_unit_tests_of_the_rules_pass(tmp_path: Path) -> None:
    tests = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": UNIT_TESTS}
    path = tmp_path / "autoscaler-rules.test.yml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = _promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_can_fail(tmp_path: Path) -> None:
    wrong = [{**UNIT_TESTS[0], "alert_rule_test": [{"eval_time": "9m", "alertname": "AutoscalerTickStale",
                                                    "exp_alerts": [_alert("AutoscalerTickStale", "critical",
                                                                          group="web")]}]}]
    path = tmp_path / "wrong.test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [str(RULES)], "tests": wrong}, sort_keys=False))
    assert _promtool("test", "rules", str(path)).returncode != 0
