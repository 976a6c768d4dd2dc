"""BENCHMARKS.md section 4: one controller process managing N scaling groups on ess-local.

For each N (default 100 and 1,000) the bench

1. starts ``bench/_scale_server.py`` in its own process: ess-local with the quotas
   raised and N enabled groups (MinSize 1, MaxSize 10, 2 s launches), and on the same
   port a Prometheus stand-in whose per-group demand moves every two intervals;
2. writes N policy files (target tracking, ``perInstance`` 100 on
   ``bench_load{group="..."}``, scale-in stabilisation 0) and one configuration
   (live mode, ``intervalSeconds`` 15, JSON logs at INFO, scale-in cooldown 0 per group);
3. runs ``python -m autoscaler run --config ... --no-live-view`` as a separate process
   and measures two windows from the moment it logs that it started: the start-up
   (``--warmup``, 45 s: the first ticks also create each group's managed rule, and
   every group scales out at once) and the steady state after it (``--seconds``):

   - **latency**: for every decision logged ``executed`` whose tick started in the
     window, the time from the tick's start (the decision's ``now``, taken when the
     tick begins) to the arrival of its ExecuteScalingRule at the emulator (matched by
     the ClientToken, which the bench recomputes from group, policy, target and
     window); ``from_schedule`` adds the tick's start lag against apscheduler's grid
     (any wait for a tick slot included; the headline); ``answered`` is up to the
     decision's log line, after the answer came back;
   - **CPU share**: utime + stime of the controller (``/proc/PID/stat``) over the
     window's wall time, 1.0 = one core busy (and the emulator's, for reference);
   - **peak RSS**: ``VmHWM`` of ``/proc/PID/status`` before it is stopped;
   - **ticks**: the count of ``autoscaler_tick_duration_seconds`` on ``/metrics``
     against N ticks per interval, and the failed ticks and warnings in the log.

Prints one JSON object per N (``"bench": "controller_scale"``).

    .venv/bin/python bench/controller_scale.py                                # N=100 and 1000, about 7 minutes
    .venv/bin/python bench/controller_scale.py --groups 1000 --synchronized   # the burst case
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _scale_report import Decision, latency_report, parse_log, read_records  # noqa: E402
from _scale_server import KEY, PER_INSTANCE  # noqa: E402

from autoscaler.controller.tick import window_start  # noqa: E402
from autoscaler.ess.tokens import client_token  # noqa: E402

INTERVAL = 15.0
GOAL_P99_SECONDS = 1.0
GOAL_RSS_MB = 200.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} within {timeout:g} s")


def _up(url: str) -> bool:
    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


def write_inputs(work: Path, ids: dict[str, str], *, ess_port: int, listen_port: int) -> Path:
    """N policy files and the controller's configuration; returns the configuration's path."""
    policies = work / "policies"
    policies.mkdir()
    files = []
    for name, gid in sorted(ids.items()):
        path = policies / f"{name}.yaml"
        path.write_text(
            "apiVersion: autoscaler/v1\nversion: 1\n"
            f"scalingGroup: {{id: {gid}}}\n"
            "estimatedInstanceWarmup: 5\nmetricMaxAge: 60\n"
            "policies:\n"
            "  - type: targetTracking\n    name: load\n    metrics:\n"
            f"      - metric: {{prometheus: 'bench_load{{group=\"{name}\"}}'}}\n"
            f"        kind: perInstance\n        target: {PER_INSTANCE:g}\n"
            "    tolerance: 0.1\n    scaleIn: {stabilizationWindow: 0}\n",
            encoding="utf-8",
        )
        files.append(f"policies/{name}.yaml")
    config = {
        "apiVersion": "autoscaler/v1", "mode": "live", "intervalSeconds": INTERVAL,
        "listen": f"127.0.0.1:{listen_port}", "state": "state.sqlite",
        "ess": {"endpoint": f"http://127.0.0.1:{ess_port}", "region": "cn-hangzhou",
                "accessKeyId": {"env": "BENCH_AK"}, "accessKeySecret": {"env": "BENCH_SK"}},
        "metrics": {"prometheus": {"url": f"http://127.0.0.1:{ess_port}"}},
        "policyFiles": files,
        "groups": {gid: {"scaleInCooldownSeconds": 0} for gid in ids.values()},
        "logging": {"format": "json", "level": "INFO"},
        "liveView": False,
    }
    path = work / "autoscaler.yaml"
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


def tick_counts(listen_port: int) -> tuple[float, float]:
    """(ticks, seconds spent in ticks) from the controller's /metrics; NaN if it does not answer."""
    try:
        text = httpx.get(f"http://127.0.0.1:{listen_port}/metrics", timeout=60).text
    except httpx.HTTPError:
        return math.nan, math.nan
    count = total = 0.0
    for line in text.splitlines():
        if line.startswith("autoscaler_tick_duration_seconds_count"):
            count += float(line.rsplit(" ", 1)[1])
        elif line.startswith("autoscaler_tick_duration_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
    return count, total


@dataclass
class Window:
    """What the controller did between two instants (unix times)."""

    start: float
    end: float
    cpu: float
    server_cpu: float
    ticks: float
    tick_seconds: float

    @property
    def wall(self) -> float:
        return self.end - self.start


@dataclass
class Probe:
    """One look at the controller and the emulator."""

    at: float
    cpu: float
    server_cpu: float
    ticks: float
    tick_seconds: float

    @classmethod
    def take(cls, pid: int, server: int, listen_port: int) -> Probe:
        ticks, tick_seconds = tick_counts(listen_port)
        return cls(at=time.time(), cpu=cpu_seconds(pid), server_cpu=cpu_seconds(server), ticks=ticks,
                   tick_seconds=tick_seconds)

    def to(self, later: Probe) -> Window:
        return Window(start=self.at, end=later.at, cpu=later.cpu - self.cpu,
                      server_cpu=later.server_cpu - self.server_cpu, ticks=later.ticks - self.ticks,
                      tick_seconds=later.tick_seconds - self.tick_seconds)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_controller(config: Path, log_path: Path, *, listen_port: int, warmup: float, seconds: float, server: int,
                   profile: Path | None) -> tuple[Window, Window, float]:
    """(start-up window, steady window, peak RSS in MB) of one controller run."""
    env = dict(os.environ, BENCH_AK=KEY.access_key_id, BENCH_SK=KEY.access_key_secret)
    python = [sys.executable] + (["-m", "cProfile", "-o", str(profile)] if profile is not None else [])
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*python, "-m", "autoscaler", "run", "--config", str(config), "--no-live-view"],
            stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT, env=env,
        )
    try:
        wait_for(lambda: proc.poll() is not None or b" mode: " in log_path.read_bytes(),
                 "the controller did not start", 300)
        if proc.poll() is not None:
            raise RuntimeError(f"the controller exited: {log_path.read_text()[-2000:]}")
        first = Probe(at=time.time(), cpu=cpu_seconds(proc.pid), server_cpu=cpu_seconds(server), ticks=0.0,
                      tick_seconds=0.0)
        time.sleep(warmup)
        warm = Probe.take(proc.pid, server, listen_port)
        time.sleep(seconds)
        last = Probe.take(proc.pid, server, listen_port)
        rss = peak_rss_mb(proc.pid)
    finally:
        _stop(proc)
    return first.to(warm), warm.to(last), rss


def token_of(decision: Decision) -> str:
    """The ClientToken the controller sent for ``decision`` (autoscaler.controller.actuator)."""
    return client_token(decision.group_id, decision.policy, "capacity", decision.target,
                        window_start(decision.now, timedelta(seconds=INTERVAL)))


def _window_report(window: Window, groups: int, executed: list[Decision], arrivals: dict[str, float],
                   order: dict[str, int]) -> dict[str, Any]:
    report = latency_report(executed, arrivals, token_of=token_of, offset=lambda gid: INTERVAL * order[gid] / groups,
                            interval=INTERVAL, window=(window.start, window.end))
    measured = window.ticks > 0 and not math.isnan(window.ticks)
    return {
        "seconds": round(window.wall, 1), **report,
        "cpu_share": round(window.cpu / window.wall, 3),
        "emulator_cpu_share": round(window.server_cpu / window.wall, 3),
        "ticks": round(window.ticks) if measured else None,
        "ticks_expected": round(groups * window.wall / INTERVAL),
        "mean_tick_seconds": round(window.tick_seconds / window.ticks, 4) if measured else None,
    }


def bench_case(groups: int, seconds: float, *, warmup: float = 3 * INTERVAL, synchronized: bool = False,
               profile: Path | None = None, keep: Path | None = None) -> dict[str, Any]:
    """One N: the start-up window (the first ``warmup`` seconds) and the steady window after it."""
    with tempfile.TemporaryDirectory(prefix="controller-scale-") as tmp:
        work = Path(tmp) if keep is None else keep / f"n{groups}"
        work.mkdir(parents=True, exist_ok=True)
        ess_port, listen_port = free_port(), free_port()
        ids_path, record = work / "groups.json", work / "executes.txt"
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "_scale_server.py"), "--port", str(ess_port),
             "--groups", str(groups), "--interval", str(INTERVAL), "--groups-out", str(ids_path),
             "--record", str(record), *(["--synchronized"] if synchronized else [])],
            stdout=subprocess.DEVNULL, cwd=ROOT,
        )
        try:
            wait_for(lambda: server.poll() is not None or (ids_path.exists() and _up(f"http://127.0.0.1:{ess_port}/")),
                     "the emulator did not start", 300)
            if server.poll() is not None:
                raise RuntimeError("the emulator exited (its error is above)")
            ids: dict[str, str] = json.loads(ids_path.read_text())
            config = write_inputs(work, ids, ess_port=ess_port, listen_port=listen_port)
            log_path = work / "controller.log"
            startup, steady, rss = run_controller(config, log_path, listen_port=listen_port, warmup=warmup,
                                                  seconds=seconds, server=server.pid, profile=profile)
        finally:
            _stop(server)
        parsed = parse_log(log_path)
        arrivals = read_records(record)
    order = {gid: index for index, (_, gid) in enumerate(sorted(ids.items()))}
    steady_report = _window_report(steady, groups, parsed.executed, arrivals, order)
    p99 = steady_report["from_schedule_p99"]
    return {
        "bench": "controller_scale", "groups": groups, "interval_seconds": INTERVAL,
        "demand": "synchronized" if synchronized else "spread",
        "steady": steady_report, "startup": _window_report(startup, groups, parsed.executed, arrivals, order),
        "peak_rss_mb": round(rss, 1),
        "failed_ticks": parsed.failed_ticks, "warnings": parsed.warnings,
        "warning_samples": parsed.warning_samples,
        "goal": {"p99_seconds": GOAL_P99_SECONDS, "peak_rss_mb": GOAL_RSS_MB, "cpu_share": 1.0},
        "meets_goal": (p99 is not None and p99 < GOAL_P99_SECONDS and rss < GOAL_RSS_MB
                       and steady_report["cpu_share"] < 1.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--groups", default="100,1000", help="comma-separated N (default 100,1000)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="steady-state window per case, after the start-up (default 120 s; 180 s for N=1000)")
    parser.add_argument("--warmup", type=float, default=3 * INTERVAL,
                        help="start-up window, measured apart (default 45 s: three intervals)")
    parser.add_argument("--synchronized", action="store_true",
                        help="every group's demand changes at the same instants (the burst case)")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="run the controller under cProfile and write its stats to FILE (diagnosis)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep the generated files and logs in DIR/n<N> (diagnosis)")
    args = parser.parse_args(argv)
    for text in args.groups.split(","):
        n = int(text)
        if not 1 <= n <= 1000:
            parser.error("--groups: each N must be 1..1000 (policyFiles holds at most 1,000 files)")
        seconds = args.seconds if args.seconds is not None else (120.0 if n < 1000 else 180.0)
        result = bench_case(n, seconds, warmup=args.warmup, synchronized=args.synchronized, profile=args.profile,
                            keep=args.keep)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
