"""A controller with instance care against ess-local over loopback HTTP, on a virtual clock.

The emulator runs in a thread (``running_emulator``); per-instance metrics come from a
small Prometheus HTTP API double on another loopback port (the real
``PrometheusSource`` queries it), whose answers the test sets. The controller is built
by the composition root (``build_runtime``) from configuration files written in the
test's directory, exactly as ``autoscaler run`` builds it; a "restart" closes that
runtime and builds a new one on the same state file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from autoscaler.cli._compose import Runtime, build_runtime
from autoscaler.clock import VirtualClock
from autoscaler.controller.config_loader import load_config
from autoscaler.controller.tick import TickReport
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials
from tests.integration._server import RunningEmulator, running_emulator, serve

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
KEY = Credentials(access_key_id="AKcare", access_key_secret="SKcare-secret")
ENV = {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY.access_key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEY.access_key_secret}
ZONES = {"vsw-g": "cn-hangzhou-g", "vsw-h": "cn-hangzhou-h"}


class FakePrometheus:
    """The instant-query endpoint of the Prometheus HTTP API, answering from ``series``.

    ``series[query]`` is a number (one unlabelled series) or ``{instance_id: value}``
    (one series per instance, labelled ``instance_id``), stamped with the query time
    (or the virtual clock's now, as a real Prometheus stamps an instant query).
    """

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.series: dict[str, float | dict[str, float]] = {}
        self.queries = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.queries += 1
        at = float(form["time"]) if "time" in form else self._clock.now().timestamp()
        found = self.series.get(form.get("query", ""))
        if isinstance(found, dict):
            result = [{"metric": {"instance_id": k}, "value": [at, repr(float(v))]} for k, v in found.items()]
        elif found is None:
            result = []
        else:
            result = [{"metric": {}, "value": [at, repr(float(found))]}]
        payload = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})


POLICY = """\
apiVersion: autoscaler/v1
version: 1
scalingGroup: {{name: {group}}}
estimatedInstanceWarmup: {warmup}
metricMaxAge: 600
policies:
  - type: targetTracking
    name: cpu
    metrics:
      - metric: {{prometheus: cpu}}
        kind: utilization
        target: 50
    disableScaleIn: {disable_scale_in}
    scaleIn: {{stabilizationWindow: 0, period: 1, maxPercent: 100}}
"""


@dataclass
class Harness:
    """One emulator, one Prometheus double, one controller (rebuilt on restart)."""

    tmp: Path
    emu: RunningEmulator
    prom: FakePrometheus
    prom_url: str
    clock: VirtualClock
    group: str = "care-web"
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    reports: list[TickReport] = field(default_factory=list)
    rt: Runtime | None = None

    def record_calls(self) -> None:
        original = self.emu.service.dispatch

        def recording(action: str, params: Any) -> Any:
            self.calls.append((action, dict(params)))
            return original(action, params)

        self.emu.service.dispatch = recording  # type: ignore[method-assign]  # a test spy on the service

    def count(self, action: str) -> int:
        return sum(1 for a, _ in self.calls if a == action)

    def client(self) -> EssClient:
        return EssClient(credentials=KEY, region="cn-hangzhou", clock=self.clock, endpoint=self.emu.url + "/")

    def write_config(self, *, care: str, mode: str = "live", warmup: int = 10, disable_scale_in: bool = True,
                     cooldown: int = 0) -> Path:
        (self.tmp / "policy.yaml").write_text(POLICY.format(group=self.group, warmup=warmup,
                                                            disable_scale_in=str(disable_scale_in).lower()))
        config = f"""\
apiVersion: autoscaler/v1
mode: {mode}
intervalSeconds: 5
listen: 127.0.0.1:0
state: state.sqlite
ess: {{endpoint: "{self.emu.url}/", region: cn-hangzhou, timeoutSeconds: 5}}
metrics:
  prometheus: {{url: "{self.prom_url}", maxAgeSeconds: 60}}
policyFiles: [policy.yaml]
groups:
  {self.group}:
    scaleInCooldownSeconds: {cooldown}
    care:
{care}
logging: {{format: human, level: INFO}}
liveView: false
"""
        path = self.tmp / "autoscaler.yaml"
        path.write_text(config)
        return path

    async def start(self) -> Runtime:
        config = load_config(self.tmp / "autoscaler.yaml")
        self.rt = await build_runtime(config, base=self.tmp, environ=ENV, clock=self.clock)
        return self.rt

    async def restart(self) -> Runtime:
        assert self.rt is not None
        await self.rt.aclose()
        return await self.start()

    async def stop(self) -> None:
        if self.rt is not None:
            await self.rt.aclose()
            self.rt = None

    async def tick(self, times: int = 1, *, seconds: float = 5) -> TickReport:
        assert self.rt is not None
        ticker = self.rt.controller.tickers[0]
        report = None
        for _ in range(times):
            report = await self.rt.controller.tick_once(ticker)
            assert report is not None, "the tick failed (see the log)"
            self.reports.append(report)
            self.clock.advance(timedelta(seconds=seconds))
        assert report is not None
        return report

    def admin(self, op: str, **body: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.emu.url}/_emulator/ecs/{op}", json=body, timeout=10, trust_env=False)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def sample(self, name: str, **labels: str) -> float | None:
        assert self.rt is not None
        return self.rt.registry.get_sample_value(name, labels)


@contextmanager
def harness(tmp_path: Path, *, settings: EmulatorSettings | None = None) -> Iterator[Harness]:
    clock = VirtualClock(T0)
    settings = settings or EmulatorSettings(launch_seconds=5, removal_seconds=5, vswitch_zones=ZONES)
    prom = FakePrometheus(clock)
    with ExitStack() as stack:
        emu = stack.enter_context(running_emulator(clock, settings=settings, keys={KEY.access_key_id: KEY}))
        port = stack.enter_context(serve(prom))
        h = Harness(tmp=tmp_path, emu=emu, prom=prom, prom_url=f"http://127.0.0.1:{port}", clock=clock)
        h.record_calls()
        yield h


async def create_group(h: Harness, *, size: int, max_size: int = 10, multi_az: str | None = None) -> str:
    """An Active group of ``size`` InService instances (MinSize lowered to 1 afterwards)."""
    async with h.client() as ess:
        options: dict[str, Any] = {"ScalingGroupName": h.group, "DefaultCooldown": 0,
                                   "RemovalPolicy": ["NewestInstance"]}
        if multi_az is not None:  # two zones, one VSwitch each
            options.update(VSwitchIds=list(ZONES), MultiAZPolicy=multi_az)
        group = await ess.create_scaling_group(min_size=size, max_size=max_size, **options)
        config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large",
                                                        security_group_id="sg-care", ImageId="img-1")
        await ess.enable_scaling_group(group, configuration_id=config)
        h.clock.advance(timedelta(seconds=30))
        await ess.modify_scaling_group(group, MinSize=min(1, size))
        instances = await ess.describe_scaling_instances(scaling_group_id=group)
        assert len(instances) == size and all(i.lifecycle_state == "InService" for i in instances), instances
    return group


async def instances(h: Harness, group: str) -> dict[str, str]:
    """instance id -> lifecycle state."""
    async with h.client() as ess:
        return {i.instance_id: i.lifecycle_state or "" for i in await ess.describe_scaling_instances(
            scaling_group_id=group)}
