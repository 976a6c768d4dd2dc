"""End to end: a real Prometheus scrapes per-instance load, the controller scales on PromQL.

The test plays the workload: an exporter publishes ``worker_cpu_percent`` for every
instance of the emulator's group (the demand shared evenly by the serving
instances); a real Prometheus (Debian's package) scrapes it every second; the
controller, configured with a PromQL query and nothing else special, is built by the
same composition code as ``autoscaler run`` and talks to ``ess-local`` over loopback
HTTP. High demand must scale the group out; low demand must scale it back in.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from autoscaler.cli._compose import build_runtime
from autoscaler.clock import SystemClock
from autoscaler.controller.config_loader import parse_config
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS
from tests.e2e._processes import PrometheusProcess, TestExporter
from tests.integration._server import create_enabled_group, running_emulator

POLICY = """\
apiVersion: autoscaler/v1
version: 1
scalingGroup: {name: prom-web}
estimatedInstanceWarmup: 1
metricMaxAge: 10
policies:
  - type: targetTracking
    name: cpu
    metrics:
      - metric: {prometheus: 'worker_cpu_percent'}
        kind: utilization
        target: 60
    scaleIn: {stabilizationWindow: 3, period: 1, maxPercent: 50}
"""

CONFIG = """\
apiVersion: autoscaler/v1
intervalSeconds: 1
state: state.sqlite
ess: {endpoint: "%(ess)s/", region: cn-hangzhou, timeoutSeconds: 2}
metrics:
  prometheus: {url: "%(prom)s", timeoutSeconds: 2, maxAgeSeconds: 10, instanceLabel: instance_id}
policyFiles: [policy.yaml]
groups:
  prom-web: {scaleInCooldownSeconds: 2}
liveView: false
"""


async def _scenario(ess_url: str, prom_url: str, exporter: TestExporter, workdir: Path) -> tuple[int, int]:
    clock = SystemClock()
    async with EssClient(credentials=EXAMPLE_CREDENTIALS, region="cn-hangzhou", clock=clock,
                         endpoint=ess_url + "/") as client:
        gid = await create_enabled_group(client, "prom-web", max_size=10)
        (workdir / "policy.yaml").write_text(POLICY)
        config = parse_config(CONFIG % {"ess": ess_url, "prom": prom_url})
        rt = await build_runtime(config, base=workdir, environ={"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid",
                                                               "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret"},
                                 clock=clock)
        demand = {"value": 400.0}  # units; one instance serves 100 at 100 % CPU

        async def play_workload() -> None:
            while True:
                instances = await client.describe_scaling_instances(scaling_group_id=gid)
                serving = [i.instance_id for i in instances if i.lifecycle_state == "InService"]
                exporter.clear()
                for iid in serving:
                    exporter.set("worker_cpu_percent", min(100.0, demand["value"] / len(serving)), instance_id=iid)
                await asyncio.sleep(0.3)

        stop = asyncio.Event()
        player = asyncio.create_task(play_workload())
        loop_task = asyncio.create_task(rt.controller.run(stop))
        peak = 0
        try:
            deadline = clock.now() + timedelta(seconds=40)
            while clock.now() < deadline:
                group = (await client.describe_scaling_groups(scaling_group_ids=[gid]))[0]
                peak = max(peak, group.total_capacity)
                if peak >= 7:
                    break
                await asyncio.sleep(0.5)
            demand["value"] = 60.0
            low = peak
            deadline = clock.now() + timedelta(seconds=40)
            while clock.now() < deadline:
                group = (await client.describe_scaling_groups(scaling_group_ids=[gid]))[0]
                low = min(low, group.total_capacity)
                if low <= 2:
                    break
                await asyncio.sleep(0.5)
        finally:
            stop.set()
            await loop_task
            player.cancel()
            await asyncio.gather(player, return_exceptions=True)
            await rt.aclose()
        return peak, low


def test_the_controller_scales_a_group_out_and_in_on_a_promql_query(
    tmp_path: Path, exporter: TestExporter, prometheus: PrometheusProcess
) -> None:
    with running_emulator(SystemClock(), settings=EmulatorSettings(launch_seconds=1.0, removal_seconds=0.5)) as emu:
        peak, low = asyncio.run(_scenario(emu.url, prometheus.url, exporter, tmp_path))
    # 400 units at a 60 % target need ceil(400 / 60) = 7 instances; 60 units need 1.
    assert peak >= 7, f"the group never scaled out to 7 (peak {peak})"
    assert low <= 2, f"the group did not scale back in (lowest {low} after the peak {peak})"
