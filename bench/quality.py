"""Decision-quality benchmark (BENCHMARKS.md section 1) on every trace of a folder.

Runs the static, HPA-style and AWS-style baselines and the project's recommended
(predictive) policy through the pure workload model of
``autoscaler.simulation.workload``, in the plain BENCHMARKS model and with the ESS
"activity in progress blocks" semantics, and prints one JSON object per
(trace, model, policy). ``--markdown`` adds a table per trace for docs/benchmarks.md,
``--loo`` a leave-one-out check of the predictive parameters, ``--variants`` the goal
on traces derived from each one (reversed, 5-minute held, halves), ``--speed`` the
harness speed (simulated minutes per wall second, median of several runs).

Usage::

    .venv/bin/python bench/quality.py [--traces ../shared/traces] [--markdown] [--loo] [--speed] [--variants]

Goal per trace: the recommended policy has at most half the overload minutes of the
better of HPA and AWS, at a cost no higher than the cheaper of the two.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autoscaler.policy.forecast import ForecasterSettings
from autoscaler.policy.predictive import PredictivePolicy, PredictiveSettings
from autoscaler.simulation.workload import (
    AwsTargetTrackingBaseline,
    HpaBaseline,
    MinutePolicy,
    SimulationResult,
    StaticBaseline,
    Trace,
    WorkloadSettings,
    load_trace,
    recommended_policy,
    simulate,
)

DEFAULT_TRACES = Path(__file__).resolve().parents[2] / "shared" / "traces"
DEFAULT_POINT = {"noise_headroom": 3.75, "noise_band": 3.0, "memory_minutes": 15}
"""The recommended defaults (PredictiveSettings / ForecasterSettings), as a grid point."""
MODELS = {"plain": WorkloadSettings(), "ess": WorkloadSettings(ess_activity_blocks=True)}


@dataclass(frozen=True, slots=True)
class Goal:
    overload_allowed: float
    cost_allowed: int

    def ratio(self, result: SimulationResult) -> float:
        """max(overload / allowed, cost / allowed): <= 1 means the goal is met."""
        over = result.overload_minutes / max(self.overload_allowed, 0.5)
        return max(over, result.cost / self.cost_allowed)

    def met(self, result: SimulationResult) -> bool:
        return result.overload_minutes <= self.overload_allowed and result.cost <= self.cost_allowed


def run_policy(trace: Trace, policy: MinutePolicy, model: WorkloadSettings) -> SimulationResult:
    initial = policy.capacity if isinstance(policy, StaticBaseline) else None
    return simulate(trace.demand, policy, settings=model, start=trace.start, initial=initial)


def policies(trace: Trace, model: WorkloadSettings) -> Iterator[MinutePolicy]:
    yield StaticBaseline.for_demand(trace.demand, model.target)
    yield HpaBaseline(model.target)
    yield AwsTargetTrackingBaseline(model.target)
    yield recommended_policy(model)


def goal_for(trace: Trace, model: WorkloadSettings) -> Goal:
    hpa = run_policy(trace, HpaBaseline(model.target), model)
    aws = run_policy(trace, AwsTargetTrackingBaseline(model.target), model)
    return Goal(min(hpa.overload_minutes, aws.overload_minutes) / 2, min(hpa.cost, aws.cost))


def case_record(trace: Trace, model_name: str, name: str, result: SimulationResult, goal: Goal, wall: float) -> dict[
    str, object
]:
    return {
        "bench": "decision_quality",
        "trace": trace.name,
        "model": model_name,
        "policy": name,
        "minutes": result.minutes,
        "cost": result.cost,
        "oracle_cost": result.oracle_cost,
        "cost_vs_oracle": round(result.cost_vs_oracle, 4),
        "overload_minutes": result.overload_minutes,
        "overload_pct": round(result.overload_pct, 3),
        "actions": result.actions,
        "rejected": result.rejected,
        "goal_overload_allowed": goal.overload_allowed,
        "goal_cost_allowed": goal.cost_allowed,
        "meets_goal": goal.met(result) if name == "predictive" else None,
        "minutes_per_second": round(result.minutes / wall) if wall > 0 else None,
    }


def main_cases(traces: list[Trace], markdown: bool) -> None:
    tables: list[str] = []
    for trace in traces:
        for model_name, model in MODELS.items():
            goal = goal_for(trace, model)
            rows = []
            for policy in policies(trace, model):
                began = time.perf_counter()
                result = run_policy(trace, policy, model)
                wall = time.perf_counter() - began
                record = case_record(trace, model_name, policy.name, result, goal, wall)
                print(json.dumps(record), flush=True)
                rows.append(record)
            tables.append(markdown_table(trace, model_name, rows, goal))
    if markdown:
        print("\n".join(tables))


def markdown_table(trace: Trace, model_name: str, rows: list[dict[str, object]], goal: Goal) -> str:
    lines = [
        f"#### {trace.name} ({model_name} model, {rows[0]['minutes']} minutes)",
        "",
        "| policy | cost (instance-min) | cost_vs_oracle | overload min | overload_pct | actions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['policy']} | {row['cost']} | {row['cost_vs_oracle']:.3f} | {row['overload_minutes']} "
            f"| {row['overload_pct']:.2f} | {row['actions']} |"
        )
    met = next(r["meets_goal"] for r in rows if r["policy"] == "predictive")
    lines += ["", f"Goal: overload <= {goal.overload_allowed:g} min and cost <= {goal.cost_allowed}: "
              f"{'met' if met else 'NOT met'}.", ""]
    return "\n".join(lines)


GRID: dict[str, tuple[float, ...]] = {
    "noise_headroom": (3.25, 3.75, 4.25),
    "noise_band": (2.0, 3.0, 4.0),
    "memory_minutes": (10, 15, 20),
}
"""The leave-one-out grid: the few principled knobs of the predictive policy."""


def grid_policy(params: dict[str, float], model: WorkloadSettings) -> PredictivePolicy:
    return PredictivePolicy(
        PredictiveSettings(
            target=model.target,
            boot_minutes=model.boot_minutes,
            serialised_scale_out=model.ess_activity_blocks,
            noise_headroom=float(params["noise_headroom"]),
            noise_band=float(params["noise_band"]),
            forecaster=ForecasterSettings(memory_minutes=int(params["memory_minutes"])),
        )
    )


def _score(ratios: dict[tuple[int, str], tuple[float, bool]], point: int, names: list[str]) -> tuple[int, float]:
    """Most traces meeting the goal first, then the smallest geometric mean of the goal ratios."""
    met = sum(ratios[point, n][1] for n in names)
    return -met, math.exp(statistics.fmean(math.log(ratios[point, n][0]) for n in names))


def main_loo(traces: list[Trace]) -> None:
    """Leave one trace out: pick the grid point best on the others, report it on the one left out."""
    points = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    default = next(i for i, p in enumerate(points) if p == DEFAULT_POINT)
    for model_name, model in MODELS.items():
        goals = {t.name: goal_for(t, model) for t in traces}
        ratios: dict[tuple[int, str], tuple[float, bool]] = {}
        for index, params in enumerate(points):
            for trace in traces:
                result = run_policy(trace, grid_policy(params, model), model)
                goal = goals[trace.name]
                ratios[index, trace.name] = (goal.ratio(result), goal.met(result))
        names = [t.name for t in traces]
        best_all = min(range(len(points)), key=lambda i: _score(ratios, i, names))
        for held in names:
            others = [n for n in names if n != held]
            best = min(range(len(points)), key=lambda i: _score(ratios, i, others))
            print(json.dumps({
                "bench": "decision_quality_loo",
                "model": model_name,
                "held_out": held,
                "chosen_on_others": points[best],
                "held_out_goal_ratio": round(ratios[best, held][0], 3),
                "held_out_meets_goal": ratios[best, held][1],
                "default_goal_ratio": round(ratios[default, held][0], 3),
                "default_meets_goal": ratios[default, held][1],
                "best_on_all": points[best_all],
            }), flush=True)


def variants(traces: list[Trace]) -> Iterator[Trace]:
    """Traces the policy was not developed on, derived from each one: reversed in time (the
    same statistics, other events), held to 5-minute samples, and each half alone."""
    for trace in traces:
        demand = trace.demand
        half = demand.size // 2
        derived = {
            "reversed": demand[::-1],
            "held5": np.repeat(demand[::5], 5)[: demand.size],
            "first-half": demand[:half],
            "second-half": demand[half:],
        }
        for label, values in derived.items():
            yield Trace(name=f"{trace.name}:{label}", start=trace.start, demand=values.copy())


def main_variants(traces: list[Trace]) -> None:
    """The goal on the derived traces of :func:`variants`, one object per case and a total."""
    met = cases = 0
    for trace in variants(traces):
        for model_name, model in MODELS.items():
            goal = goal_for(trace, model)
            result = run_policy(trace, recommended_policy(model), model)
            met, cases = met + goal.met(result), cases + 1
            print(json.dumps({
                "bench": "decision_quality_variant", "trace": trace.name, "model": model_name,
                "overload_minutes": result.overload_minutes, "goal_overload_allowed": goal.overload_allowed,
                "cost": result.cost, "goal_cost_allowed": goal.cost_allowed, "meets_goal": goal.met(result),
            }), flush=True)
    print(json.dumps({"bench": "decision_quality_variants_total", "met": met, "cases": cases}), flush=True)


def main_speed(traces: list[Trace], runs: int = 5) -> None:
    longest = max(traces, key=lambda t: t.demand.size)
    for model_name, model in MODELS.items():
        for policy in policies(longest, model):
            name = policy.name
            walls = []
            for _ in range(runs):
                fresh = next(p for p in policies(longest, model) if p.name == name)
                began = time.perf_counter()
                run_policy(longest, fresh, model)
                walls.append(time.perf_counter() - began)
            wall = statistics.median(walls)
            print(json.dumps({
                "bench": "harness_speed", "trace": longest.name, "model": model_name, "policy": name,
                "minutes": int(longest.demand.size), "median_seconds": round(wall, 4),
                "minutes_per_second": round(longest.demand.size / wall), "runs": runs,
            }), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--traces", type=Path, default=DEFAULT_TRACES, help="folder of timestamp,value CSVs")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table per trace")
    parser.add_argument("--loo", action="store_true", help="leave-one-out check of the predictive parameters")
    parser.add_argument("--speed", action="store_true", help="time the pure harness on the longest trace")
    parser.add_argument("--variants", action="store_true", help="the goal on traces derived from each one")
    args = parser.parse_args(argv)
    paths = sorted(args.traces.glob("*.csv"))
    if not paths:
        print(f"--traces: no *.csv in {args.traces}", file=sys.stderr)
        return 2
    traces = [load_trace(p) for p in paths]
    main_cases(traces, args.markdown)
    if args.loo:
        main_loo(traces)
    if args.speed:
        main_speed(traces)
    if args.variants:
        main_variants(traces)
    return 0


if __name__ == "__main__":
    sys.exit(main())
