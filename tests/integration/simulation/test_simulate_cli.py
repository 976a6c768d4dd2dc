"""``autoscaler simulate`` on the shared traces: the files agree with each other.

The timeline CSV alone (with the summary's capacity per instance and target) gives
back the summary's cost, overload and oracle cost, exactly.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autoscaler.cli import main
from autoscaler.simulation.workload import load_trace

TRACES = sorted((Path(__file__).resolve().parents[3].parent / "shared" / "traces").glob("*.csv"))
SHORTEST = min(TRACES, key=lambda p: load_trace(p).demand.size) if TRACES else None  # in minutes


def _recompute(timeline: Path, doc: dict[str, Any]) -> dict[str, int]:
    capacity = float(doc["capacity_per_instance"])
    target = float(doc["target"])
    cost = overload = oracle = minutes = 0
    with timeline.open(newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["timestamp", "demand", "total", "serving", "utilization"]
        previous = None
        for ts, demand_text, total, serving, utilization in reader:
            demand = float(demand_text)
            if previous is not None:
                assert int(ts) - previous == 60
            previous = int(ts)
            minutes += 1
            cost += int(total)
            overload += demand > int(serving) * capacity
            oracle += max(1, math.ceil(demand / (capacity * target) - 1e-9))
            assert 0.0 <= float(utilization) <= 1.0
            assert 0 <= int(serving) <= int(total)
    return {"minutes": minutes, "cost": cost, "overload_minutes": overload, "oracle_cost": oracle}


def _simulate(trace: Path, tmp_path: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    timeline, summary = tmp_path / "timeline.csv", tmp_path / "summary.json"
    code = main(["simulate", "--trace", str(trace), "--timeline", str(timeline), "--json", str(summary),
                 "--no-progress", *extra])
    assert code == 0
    return timeline, json.loads(summary.read_text())


def _check(timeline: Path, doc: dict[str, Any]) -> None:
    again = _recompute(timeline, doc)
    assert again == {k: doc[k] for k in again}
    assert doc["cost_vs_oracle"] == pytest.approx(again["cost"] / again["oracle_cost"], rel=1e-5)
    assert doc["overload_pct"] == pytest.approx(100 * again["overload_minutes"] / again["minutes"], rel=1e-5)


def test_the_shortest_shared_trace_gives_a_timeline_that_recomputes_to_its_summary(tmp_path: Path) -> None:
    assert SHORTEST is not None, "no shared traces beside the repository"
    timeline, doc = _simulate(SHORTEST, tmp_path, "--baselines")
    _check(timeline, doc)
    assert doc["trace"] == SHORTEST.stem
    assert doc["scaling_activities"] == doc["decision_outcomes"].get("executed", 0)
    assert doc["scaling_activities"] > 0
    assert set(doc["baselines"]) == {"static", "hpa", "aws"}
    # Every activity was one ModifyScalingRule + ExecuteScalingRule on the managed rule.
    calls = doc["ess_calls"]
    assert calls["ExecuteScalingRule"] >= doc["scaling_activities"]


def test_the_scale_in_cooldown_is_the_controllers_setting(tmp_path: Path) -> None:
    assert SHORTEST is not None
    _, default = _simulate(SHORTEST, tmp_path)
    _, none = _simulate(SHORTEST, tmp_path, "--scale-in-cooldown-seconds", "0")
    assert (default["scale_in_cooldown_seconds"], none["scale_in_cooldown_seconds"]) == (300, 0)
    # Without the cooldown a scale-in may follow an activity at once: more of them, not fewer.
    assert none["scaling_activities"] > default["scaling_activities"]


@pytest.mark.slow
@pytest.mark.parametrize("trace", TRACES, ids=[p.stem for p in TRACES])
def test_every_shared_trace_gives_a_timeline_that_recomputes_to_its_summary(trace: Path, tmp_path: Path) -> None:
    timeline, doc = _simulate(trace, tmp_path, "--report", str(tmp_path / "report.html"))
    _check(timeline, doc)
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_the_command_runs_as_a_process_and_writes_the_report(tmp_path: Path) -> None:
    assert SHORTEST is not None
    report = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "autoscaler", "simulate", "--trace", str(SHORTEST), "--report", str(report),
         "--target", "0.5", "--max-size", "200"],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"{SHORTEST.stem}:" in done.stdout and "instance-min" in done.stdout
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched at view time
    assert "https://" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "1.5"], "--target: must be in (0, 1]"),
        (["--min-size", "5", "--max-size", "2"], "--min-size/--max-size: need"),
        (["--boot-seconds", "-1"], "--boot-seconds"),
        (["--capacity-per-instance", "0"], "--capacity-per-instance"),
        (["--policy", "/nonexistent/policy.yaml"], "--policy"),
        (["--timeline", "/nonexistent/dir/t.csv"], "--timeline: directory"),
        (["--scale-in-cooldown-seconds", "-5"], "--scale-in-cooldown-seconds: must be between 0 and 86400"),
    ],
)
def test_bad_options_fail_with_a_message_naming_the_option(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert SHORTEST is not None
    assert main(["simulate", "--trace", str(SHORTEST), "--no-progress", *args]) == 2
    assert message in capsys.readouterr().err


def test_a_trace_that_is_not_a_timestamp_value_csv_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n60,1\n0,2\n")
    assert main(["simulate", "--trace", str(bad), "--no-progress"]) == 2
    assert "--trace:" in capsys.readouterr().err


def test_prometheus_input_needs_its_query_and_window(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--prometheus", "http://127.0.0.1:9", "--no-progress"]) == 2
    assert "--query: required with --prometheus" in capsys.readouterr().err
