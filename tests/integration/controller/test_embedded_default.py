"""The shipped embedded default scales its demo group out and back in, through the real wire.

The configuration is config/autoscaler.yaml itself; only the clock is virtual, so
ten minutes of the demo (one compressed "day" of load) run in a few seconds. Every
call still goes through the signed HTTP app of the in-process emulator.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from autoscaler.cli._compose import build_runtime
from autoscaler.clock import VirtualClock
from autoscaler.controller.actuator import Result
from autoscaler.controller.tick import TickReport
from autoscaler.policy.model import Direction

from .conftest import ROOT, T0, shipped_config


async def _drive(
    tmp_path: Path, *, minutes: int, dry_run: bool = False
) -> tuple[list[TickReport], list[str], CollectorRegistry]:
    clock = VirtualClock(T0)
    config = shipped_config(tmp_path)
    rt = await build_runtime(config, base=ROOT / "config", environ={}, clock=clock, dry_run=dry_run)
    calls: list[str] = []
    service = rt.emulator
    original = service.dispatch

    def recording(action: str, params: object) -> object:
        calls.append(action)
        return original(action, params)

    service.dispatch = recording
    reports: list[TickReport] = []
    try:
        ticker = rt.controller.tickers[0]
        step = timedelta(seconds=config.interval_seconds)
        for _ in range(int(minutes * 60 / config.interval_seconds)):
            report = await rt.controller.tick_once(ticker)
            assert report is not None
            reports.append(report)
            clock.advance(step)
    finally:
        await rt.aclose()
    return reports, calls, rt.registry


def test_the_demo_group_scales_out_and_back_in_within_one_compressed_day(tmp_path: Path) -> None:
    reports, _, registry = asyncio.run(_drive(tmp_path, minutes=12))
    executed = [r for r in reports if r.outcome.result is Result.EXECUTED]
    outs = [r for r in executed if r.direction is Direction.OUT]
    ins = [r for r in executed if r.direction is Direction.IN]
    assert outs and ins, [r.decision.summary for r in executed]
    assert max(r.view.capacity.total for r in reports) >= 4
    # after the peak the group came back down
    peak_at = max(range(len(reports)), key=lambda i: reports[i].view.capacity.total)
    assert reports[-1].view.capacity.total < reports[peak_at].view.capacity.total
    # and /metrics counted it
    sample = registry.get_sample_value
    assert sample("autoscaler_decisions_total",
                  {"group": "demo-web", "policy": "cpu", "direction": "out", "result": "executed"}) == len(outs)
    assert sample("autoscaler_decisions_total",
                  {"group": "demo-web", "policy": "cpu", "direction": "in", "result": "executed"}) == len(ins)
    executions = sample("autoscaler_ess_requests_total", {"action": "ExecuteScalingRule", "code": "OK"})
    assert (executions or 0) >= len(executed)
    assert sample("autoscaler_capacity", {"group": "demo-web", "state": "total"}) == reports[-1].view.capacity.total
    assert sample("autoscaler_metric_source_up", {"source": "synthetic"}) == 1.0


def test_shadow_mode_decides_and_makes_no_write_call(tmp_path: Path) -> None:
    reports, calls, registry = asyncio.run(_drive(tmp_path, minutes=12, dry_run=True))
    shadow = [r for r in reports if r.outcome.result is Result.SHADOW]
    assert shadow, "shadow mode should still report decisions"
    assert calls and all(action.startswith("Describe") for action in calls), sorted(set(calls))
    shadow_outs = registry.get_sample_value(
        "autoscaler_decisions_total", {"group": "demo-web", "policy": "cpu", "direction": "out", "result": "shadow"})
    assert shadow_outs and shadow_outs >= 1
