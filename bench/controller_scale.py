"""BENCHMARKS.md section 4: one controller process managing N scaling groups on ess-local.

For each N (default 100 and 1,000) the bench

1. starts ``bench/_scale_server.py`` in its own process: ess-local with the quotas
   raised and N enabled groups (MinSize 1, MaxSize 10, 2 s launches), and on the same
   port a Prometheus stand-in whose per-group demand moves every two intervals;
2. writes N policy files (target tracking, ``perInstance`` 100 on
   ``bench_load{group="..."}``, scale-in stabilisation 0) and one configuration
   (live mode, ``intervalSeconds`` 15, JSON logs at INFO, scale-in cooldown 0 per group);
3. runs ``python -m autoscaler run --config ... --no-live-view`` as a separate process
   for ``--seconds``, and measures from the moment it logs that it started:

   - **latency**: for every decision logged ``executed`` whose tick started after the
     first interval (the first tick of a group also creates its managed rule), the time
     from the tick's start (the decision's ``now``, taken when the tick begins) to the
     arrival of its ExecuteScalingRule at the emulator (matched by the ClientToken,
     which the bench recomputes from group, policy, target and window); ``answered``
     is the same up to the decision's log line, after the answer came back;
   - **start lag**: how late the ticks started against their schedule (apscheduler's
     interval grid), from the same decisions;
   - **CPU share**: utime + stime of the controller (``/proc/PID/stat``) over the
     wall time, 1.0 = one core busy;
   - **peak RSS**: ``VmHWM`` of ``/proc/PID/status`` before it is stopped;
   - **ticks**: the count of ``autoscaler_tick_duration_seconds`` on ``/metrics``
     against N ticks per interval, and the failed ticks in the log.

Prints one JSON object per N (``"bench": "controller_scale"``).

    .venv/bin/python bench/controller_scale.py                      # N=100 and 1000, about 8 minutes
    .venv/bin/python bench/controller_scale.py --groups 1000 --seconds 240
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

from autoscaler.controller.tick import window_start  # noqa: E402
from autoscaler.ess.tokens import client_token  # noqa: E402
from bench._scale_report import Decision, latency_report, parse_log, read_records  # noqa: E402
from bench._scale_server import KEY, MAX_SIZE, PER_INSTANCE  # noqa: E402

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
class Run:
    started: float
    wall: float
    cpu: float
    rss_mb: float
    ticks: float
    tick_seconds: float
    server_cpu: float


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_controller(config: Path, log_path: Path, *, listen_port: int, seconds: float, server: int,
                   profile: Path | None) -> Run:
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
        started, cpu0, server0 = time.time(), cpu_seconds(proc.pid), cpu_seconds(server)
        time.sleep(seconds)
        wall, cpu = time.time() - started, cpu_seconds(proc.pid) - cpu0
        server_cpu = cpu_seconds(server) - server0
        rss = peak_rss_mb(proc.pid)
        ticks, tick_seconds = tick_counts(listen_port)
    finally:
        _stop(proc)
    return Run(started=started, wall=wall, cpu=cpu, rss_mb=rss, ticks=ticks, tick_seconds=tick_seconds,
               server_cpu=server_cpu)


def token_of(decision: Decision) -> str:
    """The ClientToken the controller sent for ``decision`` (autoscaler.controller.actuator)."""
    return client_token(decision.group_id, decision.policy, "capacity", decision.target,
                        window_start(decision.now, timedelta(seconds=INTERVAL)))


def bench_case(groups: int, seconds: float, *, profile: Path | None = None,
               keep: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="controller-scale-") as tmp:
        work = Path(tmp) if keep is None else keep / f"n{groups}"
        work.mkdir(parents=True, exist_ok=True)
        ess_port, listen_port = free_port(), free_port()
        ids_path, record = work / "groups.json", work / "executes.txt"
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "_scale_server.py"), "--port", str(ess_port),
             "--groups", str(groups), "--interval", str(INTERVAL), "--groups-out", str(ids_path),
             "--record", str(record)],
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
            run = run_controller(config, log_path, listen_port=listen_port, seconds=seconds, server=server.pid,
                                 profile=profile)
        finally:
            _stop(server)
        parsed = parse_log(log_path)
        arrivals = read_records(record)
    order = {gid: index for index, (_, gid) in enumerate(sorted(ids.items()))}
    report = latency_report(parsed.executed, arrivals, token_of=token_of,
                            offset=lambda gid: INTERVAL * order[gid] / groups,
                            interval=INTERVAL, warmup_until=run.started + INTERVAL)
    expected_ticks = groups * run.wall / INTERVAL
    return {
        "bench": "controller_scale", "groups": groups, "interval_seconds": INTERVAL,
        "seconds": round(run.wall, 1), **report,
        "cpu_share": round(run.cpu / run.wall, 3),
        "peak_rss_mb": round(run.rss_mb, 1), "emulator_cpu_share": round(run.server_cpu / run.wall, 3),
        "ticks": None if math.isnan(run.ticks) else int(run.ticks), "ticks_expected_about": round(expected_ticks),
        "mean_tick_seconds": round(run.tick_seconds / run.ticks, 4) if run.ticks and not math.isnan(run.ticks) else None,
        "failed_ticks": parsed.failed_ticks, "warnings": parsed.warnings,
        "warning_samples": parsed.warning_samples,
        "max_size": MAX_SIZE,
        "goal": {"p99_seconds": GOAL_P99_SECONDS, "peak_rss_mb": GOAL_RSS_MB, "cpu_share": 1.0},
        "meets_goal": (report["to_call_p99"] is not None and report["to_call_p99"] < GOAL_P99_SECONDS
                       and run.rss_mb < GOAL_RSS_MB and run.cpu / run.wall < 1.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--groups", default="100,1000", help="comma-separated N (default 100,1000)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="controller run time per case (default 120 for N < 1000, else 240)")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="run the controller under cProfile and write its stats to FILE (diagnosis)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep the generated files and logs in DIR/n<N> (diagnosis)")
    args = parser.parse_args(argv)
    for text in args.groups.split(","):
        n = int(text)
        if not 1 <= n <= 1000:
            parser.error("--groups: each N must be 1..1000 (policyFiles holds at most 1,000 files)")
        seconds = args.seconds if args.seconds is not None else (120.0 if n < 1000 else 240.0)
        print(json.dumps(bench_case(n, seconds, profile=args.profile, keep=args.keep)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
