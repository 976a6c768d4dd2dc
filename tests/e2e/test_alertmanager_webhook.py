"""Prometheus fires, two Alertmanagers deliver (and repeat), the mapped rule runs on ess-local exactly once.

The real chain: a test exporter -> Prometheus 2.42 evaluating an alerting rule every
second -> two independent Alertmanager 0.25 processes (as two replicas would, each
sending the same group, with ``repeat_interval: 2s`` so notifications repeat) ->
the controller's listen address (ObservabilityApp with the receiver mounted at
``/alerts``, bearer token) -> the alert queue -> a tick loop running the
AlertActuator against ess-local over loopback HTTP through the ESS client.

Asserts: one scaling activity and one executed action despite many notifications;
the floor holds while the alert fires and is released when it resolves.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from autoscaler.alerting import (
    ActionOutcome,
    AlertActuator,
    AlertQueue,
    AlertReceiver,
    Intent,
    SubmitResult,
    load_mappings,
    load_receiver_settings,
)
from autoscaler.clock import SystemClock
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess._retry import RetryPolicy
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials
from autoscaler.observability.server import ObservabilityApp, ObservabilityServer
from tests.e2e._processes import (
    AlertmanagerProcess,
    PrometheusProcess,
    TestExporter,
    prometheus_config,
    wait_until,
)
from tests.e2e.conftest import AlertmanagerFactory, PrometheusFactory
from tests.integration._server import RunningEmulator, running_emulator

KEY = Credentials(access_key_id="AK1", access_key_secret="SK1")
TOKEN = "e2e-webhook-token-0123456789"
RULES = """
groups:
  - name: e2e
    rules:
      - alert: QueueBacklogHigh
        expr: e2e_queue_backlog > 100
        labels:
          scaling_group: web
"""


class CountingQueue(AlertQueue):
    """The real queue, counting what each notification did."""

    def __init__(self) -> None:
        super().__init__(clock=SystemClock())
        self.submissions: list[SubmitResult] = []

    def submit(self, intents: Sequence[Intent]) -> SubmitResult:
        result = super().submit(intents)
        self.submissions.append(result)
        return result


@dataclass
class Controller:
    """The controller's loop, reduced to what alerting needs: serve /alerts, tick every 0.5 s."""

    queue: CountingQueue
    emulator: RunningEmulator
    group_id: str = ""
    rule_ari: str = ""
    port: int = 0
    outcomes: list[ActionOutcome] = field(default_factory=list)
    floors: list[int | None] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by the test
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        async with EssClient(credentials=KEY, region="cn-hangzhou", clock=SystemClock(), endpoint=self.emulator.url,
                             retry=RetryPolicy(max_attempts=1)) as ess:
            self.group_id = await ess.create_scaling_group(min_size=0, max_size=10, ScalingGroupName="web",
                                                           DefaultCooldown=0)
            config = await ess.create_scaling_configuration(self.group_id, instance_type="ecs.g6.large",
                                                            security_group_id="sg-1", ImageId="img-1")
            await ess.enable_scaling_group(self.group_id, configuration_id=config)
            rule = await ess.create_scaling_rule(self.group_id, adjustment_type="QuantityChangeInCapacity",
                                                 adjustment_value=2, name="backlog-out")
            self.rule_ari = rule.scaling_rule_ari
            mappings = load_mappings({"mappings": [
                {"name": "backlog-out", "alertname": "QueueBacklogHigh", "group_label": "scaling_group",
                 "cooldown_seconds": 0, "action": {"type": "execute_rule", "scaling_rule_ari": self.rule_ari}},
                {"name": "backlog-floor", "alertname": "QueueBacklogHigh", "group_label": "scaling_group",
                 "action": {"type": "floor", "min_capacity": 4, "max_duration_seconds": 600}},
            ]})
            receiver = AlertReceiver(settings=load_receiver_settings({"auth": {"type": "bearer", "token": TOKEN}}),
                                     mappings=mappings, sink=self.queue, clock=SystemClock())
            app = ObservabilityApp(CollectorRegistry())
            app.mount("/alerts", receiver)
            server = ObservabilityServer(app, host="127.0.0.1", port=0)
            await server.start()
            self.port = server.port
            self.ready.set()
            actuator = AlertActuator(client=ess)
            try:
                while not self.stopping.is_set():
                    tick = await actuator.tick(self.queue, group="web", scaling_group_id=self.group_id)
                    if tick.outcome is not None:
                        self.outcomes.append(tick.outcome)
                    self.floors.append(tick.floor)
                    await asyncio.sleep(0.5)
            finally:
                await server.stop()

    def activities(self) -> list[Any]:
        async def go() -> list[Any]:
            async with EssClient(credentials=KEY, region="cn-hangzhou", clock=SystemClock(),
                                 endpoint=self.emulator.url, retry=RetryPolicy(max_attempts=1)) as ess:
                return list(await ess.describe_scaling_activities(scaling_group_id=self.group_id))

        return asyncio.run(go())


@pytest.fixture
def controller() -> Iterator[Controller]:
    with running_emulator(SystemClock(), keys={"AK1": KEY}, settings=EmulatorSettings(launch_seconds=2)) as emu:
        running = Controller(queue=CountingQueue(), emulator=emu)
        thread = threading.Thread(target=running.run, name="controller", daemon=True)
        thread.start()
        assert running.ready.wait(30), "the controller did not start"
        if running.error is not None:
            raise running.error
        yield running
        running.stopping.set()
        thread.join(15)
        assert running.error is None, running.error


def _alertmanager_config(webhook_url: str) -> dict[str, Any]:
    return {
        "route": {"receiver": "autoscaler", "group_by": ["alertname", "scaling_group"],
                  "group_wait": "1s", "group_interval": "1s", "repeat_interval": "2s"},
        "receivers": [{"name": "autoscaler", "webhook_configs": [{
            "url": webhook_url, "send_resolved": True,
            "http_config": {"authorization": {"type": "Bearer", "credentials": TOKEN}},
        }]}],
    }


def test_an_alert_through_prometheus_and_two_alertmanagers_scales_once_and_its_floor_ends_on_resolve(
    tmp_path: Path,
    exporter: TestExporter,
    prometheus_factory: PrometheusFactory,
    alertmanager_factory: AlertmanagerFactory,
    controller: Controller,
) -> None:
    webhook = f"http://127.0.0.1:{controller.port}/alerts"
    replicas: list[AlertmanagerProcess] = [alertmanager_factory(_alertmanager_config(webhook)) for _ in range(2)]
    rules = tmp_path / "e2e-rules.yml"
    rules.write_text(RULES)
    exporter.set("e2e_queue_backlog", 10, queue="jobs")
    prometheus: PrometheusProcess = prometheus_factory(prometheus_config(
        scrape_targets=[exporter.target], rule_files=[rules], alertmanagers=[am.target for am in replicas],
    ))
    wait_until(lambda: bool(prometheus.query("e2e_queue_backlog")), timeout=30, what="the first scrape")

    exporter.set("e2e_queue_backlog", 500, queue="jobs")  # the alert fires
    wait_until(lambda: len(controller.queue.submissions) >= 6, timeout=60,
               what="six firing notifications (two replicas, repeated)")
    wait_until(lambda: bool(controller.outcomes), timeout=10, what="the mapped action")
    assert [o.result for o in controller.outcomes] == ["executed"]
    assert sum(s.queued for s in controller.queue.submissions) == 1
    assert sum(s.duplicates for s in controller.queue.submissions) >= 5
    [activity] = controller.activities()
    assert activity.scaling_activity_id == controller.outcomes[0].activity_id
    assert controller.floors[-1] == 4  # the floor holds while the alert fires

    exporter.set("e2e_queue_backlog", 0, queue="jobs")  # the alert resolves
    wait_until(lambda: any(s.floors_released for s in controller.queue.submissions), timeout=60,
               what="a resolved notification")
    wait_until(lambda: controller.floors[-1] is None, timeout=5, what="the floor released")
    assert [o.result for o in controller.outcomes] == ["executed"]
    assert len(controller.activities()) == 1
