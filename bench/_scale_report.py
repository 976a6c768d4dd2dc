"""Reading the controller scale benchmark's evidence: the controller's JSON log and the
emulator's record of ExecuteScalingRule arrivals, turned into latency percentiles.

Pure functions over files and values, so that ``bench/controller_scale.py`` stays the
orchestration. A decision logged ``executed`` carries the tick's start (``decision.now``,
taken when the tick begins), the target and the policy: with the group id that is
enough to recompute its ClientToken and find when its ExecuteScalingRule arrived.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Decision", "ParsedLog", "latency_report", "parse_log", "percentile", "read_records"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One ``executed`` decision of the controller's log."""

    group_id: str
    policy: str
    target: int
    now: datetime
    logged: float


@dataclass(slots=True)
class ParsedLog:
    executed: list[Decision] = field(default_factory=list)
    failed_ticks: int = 0
    warnings: int = 0
    warning_samples: list[str] = field(default_factory=list)


def parse_log(path: Path) -> ParsedLog:
    """The executed decisions, failed ticks and warnings of a JSON-lines controller log."""
    parsed = ParsedLog()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if not isinstance(doc, dict):
            continue
        if "tick failed" in str(doc.get("msg", "")):
            parsed.failed_ticks += 1
        if doc.get("level") in ("WARNING", "ERROR"):
            parsed.warnings += 1
            if len(parsed.warning_samples) < 5:
                parsed.warning_samples.append(str(doc.get("msg", ""))[:200])
        decision = doc.get("decision")
        if doc.get("result") == "executed" and isinstance(decision, dict):
            parsed.executed.append(Decision(
                group_id=str(doc["group"]), policy=str(decision["policy"]), target=int(decision["target"]),
                now=datetime.fromisoformat(str(decision["now"])),
                logged=datetime.fromisoformat(str(doc["ts"]).replace("Z", "+00:00")).timestamp(),
            ))
    return parsed


def read_records(path: Path) -> dict[str, float]:
    """ClientToken -> unix time of the first ExecuteScalingRule carrying it."""
    arrivals: dict[str, float] = {}
    if not path.exists():
        return arrivals
    for line in path.read_text(encoding="utf-8").splitlines():
        token, _, stamp = line.partition(" ")
        if stamp:
            arrivals.setdefault(token, float(stamp))
    return arrivals


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _stats(prefix: str, values: Sequence[float]) -> dict[str, Any]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    return {f"{prefix}_p50": r(percentile(values, 50)), f"{prefix}_p99": r(percentile(values, 99)),
            f"{prefix}_max": r(max(values) if values else None)}


def start_lags(decisions: Sequence[Decision], *, offset: Callable[[str], float], interval: float) -> list[float]:
    """How late each tick started against the schedule grid ``t0 + offset(group) + k * interval``.

    ``t0`` is not logged; the earliest phase seen stands for it (some tick started on
    time), so the lags are relative to the most punctual tick.
    """
    phases = [(d.now.timestamp() - offset(d.group_id)) % interval for d in decisions]
    if not phases:
        return []
    # Unwrap around the grid: phases just below ``interval`` belong before 0.
    ordered = sorted(phases)
    gaps = [(ordered[(i + 1) % len(ordered)] - p) % interval for i, p in enumerate(ordered)]
    start = ordered[(max(range(len(gaps)), key=gaps.__getitem__) + 1) % len(ordered)]
    return [(p - start) % interval for p in phases]


def latency_report(
    executed: Sequence[Decision],
    arrivals: Mapping[str, float],
    *,
    token_of: Callable[[Decision], str],
    offset: Callable[[str], float],
    interval: float,
    window: tuple[float, float],
) -> dict[str, Any]:
    """Percentiles over the decisions whose tick started in ``window`` (unix times).

    ``to_call``: tick start -> ExecuteScalingRule arrival; ``from_schedule``: the same
    from the tick's place on the schedule (``to_call`` plus the start lag, which
    includes any wait for a tick slot); ``answered``: tick start -> the decision's log
    line, after ESS answered; ``start_lag`` (modulo the interval: meaningful below it).
    """
    steady = [d for d in executed if window[0] <= d.now.timestamp() < window[1]]
    lags = start_lags(steady, offset=offset, interval=interval)
    to_call: list[float] = []
    from_schedule: list[float] = []
    unmatched = 0
    for decision, lag in zip(steady, lags, strict=True):
        arrived = arrivals.get(token_of(decision))
        if arrived is None:
            unmatched += 1
        else:
            to_call.append(arrived - decision.now.timestamp())
            from_schedule.append(arrived - decision.now.timestamp() + lag)
    answered = [d.logged - d.now.timestamp() for d in steady]
    return {
        "executed": len(steady), "unmatched": unmatched,
        **_stats("to_call", to_call), **_stats("from_schedule", from_schedule), **_stats("answered", answered),
        **_stats("start_lag", lags),
    }
