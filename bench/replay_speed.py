"""Replay speed (BENCHMARKS.md section 2): simulated minutes per wall second of ``autoscaler simulate``.

Each case replays the longest shared trace (about 90,000 minutes) through one policy
with the full ESS semantics (the controller's tick on the in-process emulator, as
``autoscaler simulate`` does), ``--runs`` times, and prints one JSON object with the
median wall time, the minutes per second and the time a month (43,200 minutes)
takes. For scale, the same run prints the pure numpy harness of
``autoscaler.simulation.workload`` (no ESS, no controller) on the same trace.

Usage::

    .venv/bin/python bench/replay_speed.py [--traces ../shared/traces] [--runs 3] [--minutes N]

Goal: a month in under one second (``month_seconds`` < 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from autoscaler.policy.build import PolicySet
from autoscaler.simulation.recommended import recommended_policy
from autoscaler.simulation.replay import ReplayResult, replay
from autoscaler.simulation.workload import Trace, WorkloadSettings, load_trace, simulate
from autoscaler.simulation.workload import recommended_policy as harness_policy

DEFAULT_TRACES = Path(__file__).resolve().parents[2] / "shared" / "traces"
MONTH = 43_200


def _time(run: Callable[[], object], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        walls.append(time.perf_counter() - began)
    return walls


def _replay_into(results: list[ReplayResult], trace: Trace, policy: PolicySet) -> None:
    results.append(replay(trace, policy))


def _record(case: str, trace: Trace, walls: list[float], **extra: object) -> dict[str, object]:
    wall = statistics.median(walls)
    minutes = int(trace.demand.size)
    return {
        "bench": "replay_speed", "case": case, "trace": trace.name, "minutes": minutes, "runs": len(walls),
        "median_seconds": round(wall, 3), "minutes_per_second": round(minutes / wall),
        "month_seconds": round(MONTH * wall / minutes, 3),
        "load_1min": round(os.getloadavg()[0], 2),  # the machine's load as the case ended (shared machines)
        # Which interpreter: builds differ by a fifth on this replay (docs/benchmarks.md, "Which interpreter").
        "python": f"{platform.python_version()} ({sys.base_prefix})",
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--traces", type=Path, default=DEFAULT_TRACES, help="folder of timestamp,value CSVs")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (the median is reported)")
    parser.add_argument("--minutes", type=int, default=None, help="replay only the first N minutes")
    args = parser.parse_args(argv)
    paths = sorted(args.traces.glob("*.csv"))
    if not paths or args.runs < 1:
        print(f"--traces: no *.csv in {args.traces}" if not paths else "--runs: must be >= 1", file=sys.stderr)
        return 2
    trace = max((load_trace(p) for p in paths), key=lambda t: t.demand.size)
    if args.minutes is not None:
        trace = Trace(name=trace.name, start=trace.start, demand=np.array(trace.demand[: args.minutes]))
    for kind in ("predictive", "targetTracking"):
        policy = recommended_policy(kind=kind)
        results: list[ReplayResult] = []
        walls = _time(partial(_replay_into, results, trace, policy), args.runs)
        print(json.dumps(_record(f"replay:{kind}", trace, walls, scaling_activities=results[-1].scaling_activities,
                                 decisions=len(results[-1].decisions))), flush=True)
    model = WorkloadSettings(ess_activity_blocks=True)
    walls = _time(lambda: simulate(trace.demand, harness_policy(model), settings=model, start=trace.start),
                  args.runs)
    print(json.dumps(_record("pure-harness:predictive", trace, walls)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
