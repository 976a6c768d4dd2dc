"""The figures of a replay and the files ``autoscaler simulate`` writes (timeline CSV, summary JSON).

The figures are BENCHMARKS.md section 1's, computed from the timeline alone so that
anyone can recompute them from the CSV:

- ``cost``: Σ total over the minutes, in instance-minutes (launching instances count);
- ``overload_minutes``: minutes with ``demand > serving * C``; ``overload_pct`` = 100 *
  overload minutes / minutes;
- ``cost_vs_oracle``: cost / Σ ``max(1, ceil(demand / (C * target)))``;
- ``scaling_activities``: decisions the emulator carried out (each started an activity);
- ``decision_outcomes``: every decision that wanted a change, by outcome (executed,
  suppressed by a gate, busy, no_change, failed);
- ``ess_calls``: the calls the controller made to the emulator.

Baselines (``--baselines``) are H7's reactive policies of
:mod:`autoscaler.simulation.workload` (static, HPA-style, AWS-style target tracking),
run in the same workload model by its pure harness; their capacity per instance is
the model's ``p99 / 40``, so their figures are only comparable when the replay uses
that C too (``comparable`` says so).

The timeline writes ``demand`` with full precision (``repr``) and the summary gives
``capacity_per_instance`` the same way, so recomputing ``demand > serving * C`` from
the files gives exactly the summary's overload.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from autoscaler.simulation.replay import ReplayResult
from autoscaler.simulation.workload import (
    AwsTargetTrackingBaseline,
    HpaBaseline,
    MinutePolicy,
    SimulationResult,
    StaticBaseline,
    Trace,
    WorkloadSettings,
    per_instance_capacity,
    simulate,
)

__all__ = ["TIMELINE_HEADER", "baselines", "summary", "write_json", "write_timeline"]

TIMELINE_HEADER = ("timestamp", "demand", "total", "serving", "utilization")


def _figures(cost: int, oracle: int, overload: int, minutes: int, activities: int) -> dict[str, Any]:
    return {
        "minutes": minutes,
        "cost": cost,
        "oracle_cost": oracle,
        "cost_vs_oracle": round(cost / oracle, 6),
        "overload_minutes": overload,
        "overload_pct": round(100.0 * overload / minutes, 6),
        "scaling_activities": activities,
    }


def baselines(trace: Trace, result: ReplayResult) -> dict[str, dict[str, Any]]:
    """The three reactive baselines in the pure BENCHMARKS harness, with the replay's target and sizes."""
    cfg = result.settings
    model = WorkloadSettings(target=cfg.target, min_size=cfg.min_size, max_size=cfg.max_size,
                             boot_minutes=math.ceil(cfg.boot_seconds / 60))
    comparable = math.isclose(per_instance_capacity(trace.demand), result.capacity, rel_tol=1e-12)
    policies: list[MinutePolicy] = [
        StaticBaseline.for_demand(trace.demand, cfg.target), HpaBaseline(cfg.target),
        AwsTargetTrackingBaseline(cfg.target),
    ]
    out: dict[str, dict[str, Any]] = {}
    for policy in policies:
        initial = policy.capacity if isinstance(policy, StaticBaseline) else None
        sim: SimulationResult = simulate(trace.demand, policy, settings=model, start=trace.start, initial=initial)
        figures = _figures(sim.cost, sim.oracle_cost, sim.overload_minutes, sim.minutes, sim.actions)
        figures["comparable"] = comparable
        out[policy.name] = figures
    return out


def summary(result: ReplayResult, *, baseline_figures: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The summary JSON document of one replay (see the module docstring)."""
    cfg = result.settings
    outcomes = Counter(d.result for d in result.decisions)
    doc: dict[str, Any] = {
        "trace": result.name,
        "policy": result.policy,
        "start": int(result.timestamps[0]),
        "capacity_per_instance": result.capacity,
        "target": cfg.target,
        "boot_seconds": cfg.boot_seconds,
        "min_size": cfg.min_size,
        "max_size": cfg.max_size,
        "scale_in_cooldown_seconds": cfg.scale_in_cooldown_seconds,
        **_figures(result.cost, result.oracle_cost, result.overload_minutes, result.minutes,
                   result.scaling_activities),
        "decisions": len(result.decisions),
        "decision_outcomes": dict(sorted(outcomes.items())),
        "ess_calls": dict(sorted(result.calls.items())),
    }
    if baseline_figures is not None:
        doc["baselines"] = baseline_figures
    return doc


def write_timeline(result: ReplayResult, path: Path) -> None:
    """One row per minute: ``timestamp,demand,total,serving,utilization``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TIMELINE_HEADER)
        rows = zip(result.timestamps.tolist(), result.demand.tolist(), result.total.tolist(),
                   result.serving.tolist(), result.utilization.tolist(), strict=True)
        writer.writerows((ts, repr(d), total, serving, f"{u:.6f}") for ts, d, total, serving, u in rows)


def write_json(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
