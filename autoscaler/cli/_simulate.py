"""``autoscaler simulate``: replay recorded demand through a policy on the emulator, offline.

Input: ``--trace FILE.csv`` (``timestamp,value``, as in ``shared/traces``) or a
Prometheus range query (``--prometheus URL --query Q --start T --end T [--step S]``).
Without ``--policy`` the project's recommended policy runs at ``--target``
(:mod:`autoscaler.simulation.recommended`); with ``--policy FILE`` that file's
policies run, every metric reference mapped to the replay's utilisation.

Outputs: a summary on stdout, and on request ``--timeline`` (CSV, one row a
minute), ``--json`` (the summary, with the baselines under ``--baselines``) and
``--report`` (one self-contained HTML page). A progress bar is drawn on a terminal.

Exit status: 0 done, 2 bad input (the message names the field).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from autoscaler.ess.errors import AutoscalerError
from autoscaler.metrics import MetricsError, PrometheusSettings, PrometheusSource
from autoscaler.policy.build import PolicySet
from autoscaler.policy.loader import load_policy_file
from autoscaler.simulation.html import render_report
from autoscaler.simulation.inputs import prometheus_trace
from autoscaler.simulation.recommended import RECOMMENDED_KIND, recommended_policy
from autoscaler.simulation.replay import Progress, ReplayResult, ReplaySettings, replay_async
from autoscaler.simulation.report import baselines, summary, write_json, write_timeline
from autoscaler.simulation.workload import Trace, load_trace, per_instance_capacity

__all__ = ["register"]


class InputError(ValueError):
    """A command-line value is wrong (the message names the option)."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("simulate", help="replay recorded demand through a policy on the emulator",
                              description=__doc__.split("\n\n")[0] if __doc__ else None)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace", type=Path, help="demand as a timestamp,value CSV")
    src.add_argument("--prometheus", metavar="URL", help="read the demand from this Prometheus (range query)")
    p.add_argument("--query", help="PromQL of the demand (with --prometheus)")
    p.add_argument("--start", help="window start: ISO 8601 or epoch seconds (with --prometheus)")
    p.add_argument("--end", help="window end: ISO 8601 or epoch seconds (with --prometheus)")
    p.add_argument("--step", default="60s", help="range query step, e.g. 60s, 5m (default 60s)")
    p.add_argument("--policy", type=Path, help="policy file (default: the recommended policy at --target)")
    p.add_argument("--timeline", type=Path, help="write timestamp,demand,total,serving,utilization per minute")
    p.add_argument("--json", type=Path, help="write the summary as JSON")
    p.add_argument("--report", type=Path, help="write a self-contained HTML report")
    p.add_argument("--capacity-per-instance", type=float, default=None, metavar="C",
                   help="demand one instance serves at 100 %% (default: p99 / 40)")
    p.add_argument("--boot-seconds", type=int, default=180, help="launch to serving, seconds (default 180)")
    p.add_argument("--target", type=float, default=0.6, help="target utilisation, a fraction (default 0.6)")
    p.add_argument("--min-size", type=int, default=1, help="MinSize of the group (default 1)")
    p.add_argument("--max-size", type=int, default=400, help="MaxSize of the group (default 400)")
    p.add_argument("--scale-in-cooldown-seconds", type=int, default=300, metavar="SECONDS",
                   help="the controller's scale-in cooldown after an activity, as the group's "
                        "scaleInCooldownSeconds in the configuration (default 300, as autoscaler run)")
    p.add_argument("--baselines", action="store_true", help="also run the static, HPA and AWS baselines")
    p.add_argument("--no-progress", action="store_true", help="never draw the progress bar")
    p.set_defaults(func=run_simulate)


def parse_time(text: str, *, field: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; naive means UTC) or epoch seconds."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{field}: {text!r} is neither ISO 8601 nor epoch seconds") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_step(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise InputError(f"--step: {text!r} is not a duration such as 60s or 5m") from None
    if not (math.isfinite(seconds) and seconds >= 1):
        raise InputError(f"--step: must be at least 1s (got {text!r})")
    return timedelta(seconds=seconds)


def settings_of(args: argparse.Namespace) -> ReplaySettings:
    try:
        return ReplaySettings(capacity_per_instance=args.capacity_per_instance, boot_seconds=args.boot_seconds,
                              target=args.target, min_size=args.min_size, max_size=args.max_size,
                              scale_in_cooldown_seconds=args.scale_in_cooldown_seconds)
    except ValueError as exc:
        name, _, rest = str(exc).partition(":")
        option = "/".join("--" + part.replace("_", "-") for part in name.split("/"))
        raise InputError(f"{option}:{rest}") from None


async def read_trace(args: argparse.Namespace) -> Trace:
    if args.trace is not None:
        if not args.trace.is_file():
            raise InputError(f"--trace: {args.trace} is not a readable file")
        try:
            return load_trace(args.trace)
        except ValueError as exc:
            raise InputError(f"--trace: {exc}") from None
    for option in ("query", "start", "end"):
        if not getattr(args, option):
            raise InputError(f"--{option}: required with --prometheus")
    start = parse_time(args.start, field="--start")
    end = parse_time(args.end, field="--end")
    if end <= start:
        raise InputError("--end: must be after --start")
    try:
        async with PrometheusSource(PrometheusSettings(url=args.prometheus)) as source:
            return await prometheus_trace(source, args.query, start=start, end=end, step=parse_step(args.step))
    except (MetricsError, ValueError) as exc:
        raise InputError(f"--prometheus: {exc}") from None


def load_policy(args: argparse.Namespace, cfg: ReplaySettings) -> tuple[PolicySet, str]:
    if args.policy is None:
        policy = recommended_policy(target=cfg.target, boot_seconds=cfg.boot_seconds)
        return policy, f"recommended {RECOMMENDED_KIND} at {100 * cfg.target:g} %"
    try:
        policy = load_policy_file(args.policy)
    except (AutoscalerError, ValueError, OSError) as exc:
        raise InputError(f"--policy: {exc}") from None
    return policy, args.policy.name


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TextColumn("minutes"),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("replay", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def write_outputs(args: argparse.Namespace, trace: Trace, result: ReplayResult) -> dict[str, Any]:
    doc = summary(result, baseline_figures=baselines(trace, result) if args.baselines else None)
    if args.timeline is not None:
        write_timeline(result, args.timeline)
    if args.json is not None:
        write_json(doc, args.json)
    if args.report is not None:
        args.report.write_text(render_report(result, doc), encoding="utf-8")
    return doc


def print_summary(doc: dict[str, Any]) -> None:
    print(f"{doc['trace']}: {doc['minutes']} minutes, policy {doc['policy']}")
    rows = [("replay", doc), *((f"{name} (baseline)", f) for name, f in (doc.get("baselines") or {}).items())]
    for name, f in rows:
        print(f"  {name:<20} cost {f['cost']:>9} instance-min ({f['cost_vs_oracle']:.3f} x oracle), "
              f"overload {f['overload_minutes']:>6} min ({f['overload_pct']:.2f} %), "
              f"{f['scaling_activities']} scaling activities")


async def _simulate(args: argparse.Namespace) -> dict[str, Any]:
    cfg = settings_of(args)
    trace = await read_trace(args)
    if cfg.capacity_per_instance is None:
        try:
            per_instance_capacity(trace.demand)
        except ValueError as exc:
            raise InputError(f"--capacity-per-instance: the default p99 / 40 does not exist: {exc}") from None
    policy, name = load_policy(args, cfg)
    with progress_bar(not args.no_progress) as progress:
        result = await replay_async(trace, policy, settings=cfg, policy_name=name, progress=progress)
    return write_outputs(args, trace, result)


def run_simulate(args: argparse.Namespace) -> int:
    for option in ("timeline", "json", "report"):
        path = getattr(args, option)
        if path is not None and not path.parent.is_dir():
            print(f"error: --{option}: directory {path.parent} does not exist", file=sys.stderr)
            return 2
    try:
        doc = asyncio.run(_simulate(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_summary(doc)
    return 0
