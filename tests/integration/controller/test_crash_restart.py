"""SIGKILL at random points of many ticks: no activity twice, no cooldown broken.

A real ``autoscaler run`` process drives a group on an ``ess-local`` server (in a
thread, on loopback) that injects faults into the write calls (errors, throttling,
latency and responses lost after the change was applied). The controller is killed
with SIGKILL at random instants and started again, many times. Afterwards:

- every scaling activity of the group was started by exactly one ClientToken, and
  every token the controller journaled maps to at most one activity (a decision never
  produced a second activity, whatever the retries and restarts);
- no two activities belong to the same evaluation window (the same decision);
- every scale-in started at least the configured cooldown after the previous activity
  ended.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from autoscaler.clock import SystemClock
from autoscaler.emulator.settings import EmulatorSettings
from tests.integration._server import create_enabled_group, running_emulator

ROOT = Path(__file__).resolve().parents[3]
COOLDOWN = 2
INTERVAL = 1

FAULTS = {
    "seed": 7,
    "rules": [{
        "actions": ["ExecuteScalingRule", "ModifyScalingRule"],
        "error_rate": 0.15,
        "error_codes": ["Throttling", "ServiceUnavailable", "InternalError"],
        "latency_rate": 0.1,
        "latency": 0.2,
        "loss_rate": 0.15,
    }],
}

POLICY = """\
apiVersion: autoscaler/v1
version: 1
scalingGroup: {name: crash-web}
estimatedInstanceWarmup: 1
metricMaxAge: 10
policies:
  - type: targetTracking
    name: cpu
    metrics:
      - metric: {synthetic: cpu_percent}
        kind: utilization
        target: 60
    scaleIn: {stabilizationWindow: 3, period: 1, maxPercent: 50}
"""

CONFIG = """\
apiVersion: autoscaler/v1
intervalSeconds: %(interval)d
listen: 127.0.0.1:0
state: state.sqlite
ess: {endpoint: "%(url)s/", region: cn-hangzhou, timeoutSeconds: 2, maxAttempts: 4}
metrics:
  synthetic: {daySeconds: 30, baseLoad: 100, peakLoad: 900, burstsPerDay: 0, capacityPerInstance: 100, seed: 3}
policyFiles: [policy.yaml]
groups:
  crash-web: {scaleInCooldownSeconds: %(cooldown)d}
logging: {format: json, level: INFO}
liveView: false
"""


def _create_group(url: str) -> str:
    import asyncio

    from autoscaler.ess.client import EssClient
    from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS

    async def go() -> str:
        async with EssClient(credentials=EXAMPLE_CREDENTIALS, region="cn-hangzhou", clock=SystemClock(),
                             endpoint=url + "/") as client:
            gid = await create_enabled_group(client, "crash-web", max_size=12)
            return gid

    return asyncio.run(go())


def _start(workdir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(ALIBABA_CLOUD_ACCESS_KEY_ID="testid", ALIBABA_CLOUD_ACCESS_KEY_SECRET="testsecret")
    with (workdir / "controller.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "autoscaler", "run", "--config",
                                 str(workdir / "config.yaml"), "--no-live-view"],
                                cwd=workdir, env=env, stdout=log, stderr=log)


_CAUSE = re.compile(r'from "(\d+)" to "(\d+)"')


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sigkill_at_random_points_never_doubles_an_activity_or_breaks_a_cooldown(tmp_path: Path) -> None:
    rng = random.Random(11)
    settings = EmulatorSettings(launch_seconds=1.0, removal_seconds=0.5)
    with running_emulator(SystemClock(), settings=settings) as emu:
        gid = _create_group(emu.url)
        (tmp_path / "policy.yaml").write_text(POLICY)
        (tmp_path / "config.yaml").write_text(CONFIG % {"url": emu.url, "interval": INTERVAL, "cooldown": COOLDOWN})
        assert httpx.put(f"{emu.url}/_emulator/faults", json=FAULTS).status_code == 200
        for _ in range(10):
            proc = _start(tmp_path)
            time.sleep(rng.uniform(1.0, 4.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        proc = _start(tmp_path)
        time.sleep(4)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, (tmp_path / "controller.log").read_text()[-3000:]
        injected = httpx.get(f"{emu.url}/_emulator/faults").json()["injected"]
        with emu.app.locked() as service:
            state = service.state
            activities = sorted((a for a in state.activities.values() if a.group_id == gid),
                                key=lambda a: a.start_time)
            tokens = list(state.tokens.values())
        assert service.internal_errors == []

    assert sum(injected.values()) > 0, "no fault was injected"
    scaling = [a for a in activities if "scaling rule" in a.cause and _CAUSE.search(a.cause)]
    assert len(scaling) >= 4, [a.cause for a in activities]
    # every activity from a rule execution has exactly one token behind it
    by_activity: dict[str, int] = {}
    for token in tokens:
        by_activity[token.activity_id] = by_activity.get(token.activity_id, 0) + 1
    assert all(count == 1 for count in by_activity.values()), by_activity
    assert {a.id for a in scaling} <= set(by_activity), "an activity was started without a ClientToken"
    # the controller's journal: one token, at most one activity; one window, one activity
    db = sqlite3.connect(tmp_path / "state.sqlite")
    rows = db.execute("SELECT token, activity_id, window_start FROM intents WHERE activity_id IS NOT NULL").fetchall()
    db.close()
    activity_of: dict[str, str] = {}
    for token, activity_id, _ in rows:
        assert activity_of.setdefault(token, activity_id) == activity_id
    windows = [w for _, _, w in rows]
    assert len(windows) == len(set(windows)), "two activities for one evaluation window"
    # cooldown: each scale-in starts at least COOLDOWN s after the previous activity ended
    for previous, current in itertools.pairwise(scaling):
        match = _CAUSE.search(current.cause)
        assert match is not None
        if int(match.group(2)) < int(match.group(1)):
            assert previous.end_time is not None
            gap = (current.start_time - previous.end_time).total_seconds()
            assert gap >= COOLDOWN - 0.01, (previous.cause, current.cause, gap)
    directions = {int(m.group(2)) > int(m.group(1)) for a in scaling if (m := _CAUSE.search(a.cause))}
    assert directions == {True, False}, "the run should scale both out and in"
