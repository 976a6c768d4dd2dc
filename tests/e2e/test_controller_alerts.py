"""The whole chain into the real controller: Prometheus fires, Alertmanager delivers, `run` acts once.

Unlike test_alertmanager_webhook.py (the alerting package on its own), the receiver
here is the one `autoscaler run` mounts on its listen address, and the actions are
carried out by the controller's ticks (built by the same composition code as the
command): a rule mapped to the alert runs exactly once despite repeated
notifications, a floor holds the group up while the alert fires, and "resolved"
releases it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from autoscaler.cli._compose import build_runtime
from autoscaler.cli._server import start_server
from autoscaler.clock import SystemClock
from autoscaler.controller.config_loader import parse_config
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS
from tests.e2e._processes import AlertmanagerProcess, TestExporter, prometheus_config, wait_until
from tests.e2e.conftest import AlertmanagerFactory, PrometheusFactory
from tests.integration._server import create_enabled_group, running_emulator

TOKEN = "e2e-controller-token-0123456789"
RULES = """
groups:
  - name: e2e
    rules:
      - alert: QueueBacklogHigh
        expr: e2e_queue_backlog > 100
        labels: {scaling_group: alert-web}
"""
POLICY = """\
apiVersion: autoscaler/v1
version: 1
scalingGroup: {name: alert-web}
estimatedInstanceWarmup: 1
policies:
  - type: targetTracking
    name: cpu
    metrics:
      - metric: {prometheus: 'e2e_cpu_percent'}
        target: 60
"""
CONFIG = """\
apiVersion: autoscaler/v1
intervalSeconds: 1
listen: 127.0.0.1:0
state: state.sqlite
ess: {endpoint: "%(ess)s/", region: cn-hangzhou, timeoutSeconds: 2}
metrics:
  prometheus: {url: "%(prom)s", timeoutSeconds: 2}
policyFiles: [policy.yaml]
alerting:
  receiver: {auth: {type: bearer, token: "%(token)s"}}
  mappings:
    - {name: backlog-out, alertname: QueueBacklogHigh, group_label: scaling_group, cooldown_seconds: 0,
       action: {type: execute_rule, scaling_rule_ari: "%(ari)s"}}
    - {name: backlog-floor, alertname: QueueBacklogHigh, group_label: scaling_group,
       action: {type: floor, min_capacity: 4, max_duration_seconds: 600}}
liveView: false
"""


async def _scenario(ess_url: str, prom_url: str, exporter: TestExporter, workdir: Path,
                    alertmanagers: Callable[[dict[str, object]], object]) -> tuple[int, list[str], dict[str, int]]:
    clock = SystemClock()
    async with EssClient(credentials=EXAMPLE_CREDENTIALS, region="cn-hangzhou", clock=clock,
                         endpoint=ess_url + "/") as ess:
        gid = await create_enabled_group(ess, "alert-web", max_size=10)
        rule = await ess.create_scaling_rule(gid, adjustment_type="QuantityChangeInCapacity", adjustment_value=1,
                                             name="backlog-out")
        (workdir / "policy.yaml").write_text(POLICY)
        config = parse_config(CONFIG % {"ess": ess_url, "prom": prom_url, "token": TOKEN,
                                        "ari": rule.scaling_rule_ari})
        rt = await build_runtime(config, base=workdir, environ={"ALIBABA_CLOUD_ACCESS_KEY_ID": "testid",
                                                               "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testsecret"},
                                 clock=clock)
        server = await start_server(rt, "127.0.0.1:0")
        for _ in range(2):  # two replicas, each repeating every 2 s
            alertmanagers({
                "route": {"receiver": "autoscaler", "group_by": ["alertname", "scaling_group"],
                          "group_wait": "1s", "group_interval": "1s", "repeat_interval": "2s"},
                "receivers": [{"name": "autoscaler", "webhook_configs": [{
                    "url": f"{server.url}/alerts", "send_resolved": True,
                    "http_config": {"authorization": {"type": "Bearer", "credentials": TOKEN}}}]}],
            })
        stop = asyncio.Event()
        loop_task = asyncio.create_task(rt.controller.run(stop))
        floors_seen: dict[str, int] = {}
        try:
            exporter.set("e2e_queue_backlog", 500, queue="jobs")

            async def until(predicate: object, seconds: float) -> None:
                for _ in range(int(seconds * 10)):
                    if predicate():  # type: ignore[operator]
                        return
                    await asyncio.sleep(0.1)
                raise AssertionError(f"timed out waiting for {predicate}")

            def notifications() -> float:
                return sum(s.value for m in rt.registry.collect() if m.name == "autoscaler_alerts_received"
                           for s in m.samples if s.name.endswith("_total"))

            await until(lambda: notifications() >= 6, 60)  # repeated and duplicated notifications
            await until(lambda: rt.alert_queue is not None and rt.alert_queue.active_floors(), 5)
            floors_seen.update(rt.alert_queue.active_floors() if rt.alert_queue else {})

            async def total() -> int:
                return (await ess.describe_scaling_groups(scaling_group_ids=[gid]))[0].total_capacity

            for _ in range(100):
                if await total() >= 4:
                    break
                await asyncio.sleep(0.2)
            held = await total()
            exporter.set("e2e_queue_backlog", 0, queue="jobs")  # resolves
            await until(lambda: rt.alert_queue is not None and not rt.alert_queue.active_floors(), 60)
        finally:
            stop.set()
            await loop_task
            await server.stop()
            await rt.aclose()
        causes = [a.cause or "" for a in await ess.describe_scaling_activities(scaling_group_id=gid)]
        return held, causes, floors_seen


def test_prometheus_and_alertmanager_drive_the_real_controller_once_and_the_floor_ends_on_resolve(
    tmp_path: Path, exporter: TestExporter, prometheus_factory: PrometheusFactory,
    alertmanager_factory: AlertmanagerFactory,
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    exporter.set("e2e_queue_backlog", 10, queue="jobs")
    exporter.set("e2e_cpu_percent", 60)
    started: list[AlertmanagerProcess] = []

    def alertmanagers(config: dict[str, object]) -> AlertmanagerProcess:
        # Called by the scenario once the controller serves /alerts; when both replicas run,
        # the Prometheus that evaluates the alert rule starts, pointed at them.
        am = alertmanager_factory(config)
        started.append(am)
        if len(started) == 2:
            alerting = prometheus_factory(prometheus_config(
                scrape_targets=[exporter.target], rule_files=[rules], alertmanagers=[a.target for a in started]))
            wait_until(lambda: bool(alerting.query("e2e_queue_backlog")), timeout=30, what="a scrape")
        return am

    # The controller's own Prometheus (the policy's CPU metric) must exist before it starts.
    metrics_prometheus = prometheus_factory(prometheus_config(scrape_targets=[exporter.target]))
    with running_emulator(SystemClock(), settings=EmulatorSettings(launch_seconds=1.0, removal_seconds=0.5)) as emu:
        held, causes, floors = asyncio.run(
            _scenario(emu.url, metrics_prometheus.url, exporter, tmp_path, alertmanagers))
    rule_runs = [c for c in causes if '"backlog-out"' in c]
    assert len(rule_runs) == 1, causes
    assert floors == {"alert-web": 4}
    assert held >= 4, f"the floor did not hold the group at 4 (total {held})"
