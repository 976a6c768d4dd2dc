"""Building a running controller from a configuration: the one place real objects are made.

``build_runtime`` reads nothing but its arguments (the configuration, the directory
relative paths are resolved against, the environment mapping, the clock), so tests
build the same runtime as ``autoscaler run`` with a virtual or fast clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from autoscaler.alerting import (
    ActuationError,
    Adjustment,
    AlertActuator,
    AlertQueue,
    NotificationQueue,
    WebhookNotifier,
)
from autoscaler.cli._embedded import ensure_demo_group, start_embedded
from autoscaler.clock import Clock
from autoscaler.controller.actuator import Actuator, EssActuator, ShadowActuator
from autoscaler.controller.alerts import AlertGate
from autoscaler.controller.care import build_care
from autoscaler.controller.care_state import CareStateStore
from autoscaler.controller.config import ControllerConfig, SecretRef
from autoscaler.controller.loop import Controller
from autoscaler.controller.notifications import NotificationSink
from autoscaler.controller.snapshot import GroupView
from autoscaler.controller.state import StateStore
from autoscaler.controller.tick import GroupSettings, GroupTicker, MetricRouter
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials
from autoscaler.metrics import (
    BasicAuth,
    MetricSource,
    PrometheusSettings,
    PrometheusSource,
    SyntheticWorkload,
    WorkloadShape,
)
from autoscaler.observability.metrics import AutoscalerMetrics, GroupBoard
from autoscaler.policy.build import PolicySet
from autoscaler.policy.loader import load_policy_file
from autoscaler.policy.spec import StepScalingSpec

__all__ = ["Runtime", "build_runtime", "load_policies"]

log = logging.getLogger("autoscaler.run")


@dataclass
class Runtime:
    """Everything ``autoscaler run`` starts, and what must be closed at the end."""

    config: ControllerConfig
    clock: Clock
    controller: Controller
    client: EssClient
    registry: CollectorRegistry
    metrics: AutoscalerMetrics
    board: GroupBoard
    state: StateStore
    policy_sets: list[PolicySet]
    sources: dict[str, MetricSource] = field(default_factory=dict)
    alert_queue: AlertQueue | None = None
    notifications: NotificationQueue | None = None
    workload: SyntheticWorkload | None = None
    emulator: Any = None
    care_state: CareStateStore | None = None

    background: list[asyncio.Task[None]] = field(default_factory=list)
    notifier: WebhookNotifier | None = None

    def start_background(self) -> None:
        """Start what runs beside the loop: the delivery of outbound notifications."""
        if self.notifications is not None:
            self.background.append(asyncio.get_running_loop().create_task(self.notifications.run()))

    async def aclose(self) -> None:
        if self.notifications is not None and self.background:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.notifications.flush(), 10)  # deliver what is queued
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        if self.notifier is not None:
            await self.notifier.aclose()
        for source in self.sources.values():
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()
        await self.client.aclose()
        self.state.close()
        if self.care_state is not None:
            self.care_state.close()


def load_policies(config: ControllerConfig, base: Path) -> list[PolicySet]:
    """Load every policy file (errors name file, line and field)."""
    return [load_policy_file(p if p.is_absolute() else base / p) for p in config.policy_files]


Register = Callable[[str], None]


def _reveal(ref: SecretRef, env: dict[str, str], base: Path, register: Register) -> str:
    """A secret's value, registered with the log redactor the moment it is read."""
    value = ref.resolve(env, base=base).get_secret_value()
    register(value)
    return value


def _client(
    config: ControllerConfig, base: Path, environ: Mapping[str, str], clock: Clock,
    observer: Callable[[str, str], None], register: Register,
) -> EssClient:
    ess = config.ess
    env = dict(environ)
    if ess.access_key_id is not None and ess.access_key_secret is not None:
        creds = Credentials(
            access_key_id=ess.access_key_id.resolve(env, base=base).get_secret_value(),
            access_key_secret=_reveal(ess.access_key_secret, env, base, register),
            security_token=_reveal(ess.security_token, env, base, register) if ess.security_token else None,
        )
    else:
        creds = Credentials.from_env(env)
        register(creds.access_key_secret)
        if creds.security_token:
            register(creds.security_token)
    endpoint = None if ess.endpoint == "region" else ess.endpoint
    return EssClient(credentials=creds, region=ess.region, clock=clock, endpoint=endpoint,
                     timeout=ess.timeout_seconds, observer=observer)


def _sources(config: ControllerConfig, base: Path, environ: Mapping[str, str], register: Register) -> tuple[
    dict[str, MetricSource], SyntheticWorkload | None
]:
    sources: dict[str, MetricSource] = {}
    workload = None
    syn = config.metrics.synthetic
    if syn is not None:
        shape = WorkloadShape(day_length=timedelta(seconds=syn.day_seconds), base_load=syn.base_load,
                              peak_load=syn.peak_load, bursts_per_day=syn.bursts_per_day,
                              capacity_per_instance=syn.capacity_per_instance)
        workload = SyntheticWorkload(shape, rng=np.random.default_rng(syn.seed))
        sources["synthetic"] = workload
    prom = config.metrics.prometheus
    if prom is not None:
        env = dict(environ)
        settings = PrometheusSettings(
            url=prom.url,
            bearer_token=_reveal(prom.bearer_token, env, base, register) if prom.bearer_token else None,
            timeout=prom.timeout_seconds, max_age=prom.max_age_seconds, ca_file=prom.ca_file,
            insecure_skip_verify=prom.insecure_skip_verify,
            basic_auth=(BasicAuth(username=prom.username, password=_reveal(prom.password, env, base, register))
                        if prom.username and prom.password else None),
            instance_label=prom.instance_label,
        )
        sources["prometheus"] = PrometheusSource(settings)
    return sources, workload


async def build_runtime(
    config: ControllerConfig,
    *,
    base: Path,
    environ: Mapping[str, str],
    clock: Clock,
    dry_run: bool = False,
    sinks: Sequence[Any] = (),
    register_secret: Register | None = None,
) -> Runtime:
    """Build (but do not start) the controller the configuration describes."""
    policy_sets = load_policies(config, base)
    register: Register = register_secret or (lambda value: None)
    registry = CollectorRegistry()
    board = GroupBoard()
    metrics = AutoscalerMetrics(registry, state=board)

    def observer(action: str, code: str) -> None:
        metrics.ess_request(action=action, code=code)

    emulator = None
    if config.ess.endpoint == "embedded":
        client, emulator = start_embedded(config.embedded, clock=clock, region=config.ess.region,
                                          timeout=config.ess.timeout_seconds, base=base, observer=observer)
        if config.embedded.demo_group is not None:
            await ensure_demo_group(client, config.embedded.demo_group)
    else:
        client = _client(config, base, environ, clock, observer, register)
    state_path = config.state if config.state.is_absolute() else base / config.state
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state = StateStore(state_path)
    sources, workload = _sources(config, base, environ, register)
    for secret in _alerting_secrets(config):
        register(secret)
    router = MetricRouter(sources, timeout=config.metrics.timeout_seconds)
    shadow = dry_run or config.mode == "shadow"
    live_actuator = None if shadow else EssActuator(client, state)
    actuator: Actuator = ShadowActuator() if live_actuator is None else live_actuator
    interval = timedelta(seconds=config.interval_seconds)
    alert_queue, alert_gate = _alerting(config, client, clock, shadow, policy_sets)
    # Instance care (docs/instance-care.md) keeps its journal in the same state file.
    care_state = CareStateStore(state_path) if any(o.care for o in config.groups.values()) else None
    tickers = []
    for policy_set in policy_sets:
        group_id = await _resolve_group(client, policy_set)
        name = policy_set.group_name or group_id
        overrides = config.groups.get(name)
        settings = GroupSettings(
            group_id=group_id, name=name, interval=interval,
            warmup=timedelta(seconds=policy_set.spec.estimated_instance_warmup),
            scale_in_cooldown=timedelta(seconds=overrides.scale_in_cooldown_seconds if overrides else 300),
            scale_out_cooldown=timedelta(seconds=overrides.scale_out_cooldown_seconds if overrides else 0),
            metric_timeout=config.metrics.timeout_seconds,
        )
        tickers.append(GroupTicker(settings, api=client, metrics=router, refs=sorted(policy_set.metric_refs, key=str),
                                   evaluator=policy_set.decide, actuator=actuator, state=state,
                                   on_view=_serving_hook(workload) if workload is not None else None,
                                   alerts=alert_gate,
                                   care=build_care(group_id, name, overrides.care, api=client, metrics=router,
                                                   store=care_state, shadow=shadow, sources=sources.keys())
                                   if overrides is not None and care_state is not None else None))
    all_sinks = list(sinks)
    notifications, notifier = _notifications(config, metrics)
    if notifications is not None:
        all_sinks.append(NotificationSink(notifications, region_id=config.ess.region))
    controller = Controller(tickers, clock=clock, state=state, metrics=metrics, board=board,
                            interval=interval, sinks=all_sinks,
                            prepare=_preparer(live_actuator, [t.settings.group_id for t in tickers]))
    return Runtime(config=config, clock=clock, controller=controller, client=client, registry=registry,
                   metrics=metrics, board=board, state=state, policy_sets=policy_sets, sources=sources,
                   alert_queue=alert_queue, notifications=notifications, notifier=notifier, workload=workload,
                   emulator=emulator, care_state=care_state)


def _alerting_secrets(config: ControllerConfig) -> list[str]:
    """The alerting section's secrets (receiver token or password, webhook headers)."""
    alerting = config.alerting
    if alerting is None:
        return []
    found = [header.get_secret_value() for target in alerting.notifications.targets
             for header in target.headers.values()]
    auth = alerting.receiver.auth if alerting.receiver is not None else None
    for name in ("token", "password"):
        value = getattr(auth, name, None)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
    return found


def _preparer(actuator: EssActuator | None, group_ids: list[str]) -> Callable[[], Awaitable[None]] | None:
    """Live mode prepares the managed rules before the first tick; shadow mode writes nothing."""
    if actuator is None:
        return None
    return lambda: actuator.prepare(group_ids)


def _notifications(
    config: ControllerConfig, metrics: AutoscalerMetrics
) -> tuple[NotificationQueue | None, WebhookNotifier | None]:
    """The background queue of outbound webhook notifications, when targets are configured."""
    if config.alerting is None or not config.alerting.notifications.targets:
        return None, None
    notifier = WebhookNotifier(settings=config.alerting.notifications, metrics=metrics)
    return NotificationQueue(notifier), notifier


def _alerting(
    config: ControllerConfig, client: EssClient, clock: Clock, shadow: bool, policy_sets: list[PolicySet]
) -> tuple[AlertQueue | None, AlertGate | None]:
    """The alert queue (fed by the /alerts receiver) and the per-tick gate that drains it."""
    settings = config.alerting
    if settings is None or settings.receiver is None:
        return None, None
    settings.receiver.check_listen_host(config.listen.rpartition(":")[0])
    by_group = {p.group_name or p.group_id or "": p for p in policy_sets}
    queue = AlertQueue(clock=clock, known_groups=list(by_group))
    actuator = AlertActuator(client=client, resolve_step=lambda g, name, step: _step(by_group, g, name, step))
    return queue, AlertGate(queue, actuator, shadow=shadow)


def _step(by_group: Mapping[str, PolicySet], group: str, policy: str, index: int) -> Adjustment:
    """What step ``index`` of the step policy ``policy`` of ``group`` does (alert step mappings)."""
    policy_set = by_group.get(group)
    specs = [] if policy_set is None else [p for p in policy_set.spec.policies
                                          if isinstance(p, StepScalingSpec) and p.name == policy]
    if not specs:
        raise ActuationError(f"group {group}: no step policy named {policy!r}")
    steps = specs[0].step_adjustments
    if not 0 <= index < len(steps):
        raise ActuationError(f"group {group}: step policy {policy!r} has no step {index} ({len(steps)} steps)")
    return Adjustment(adjustment_type=specs[0].adjustment_type, adjustment_value=steps[index].adjustment_value,
                      min_adjustment_magnitude=specs[0].min_adjustment_magnitude)


def _serving_hook(workload: SyntheticWorkload) -> Callable[[GroupView], None]:
    """The synthetic CPU depends on the instances serving now: tell the workload each tick."""
    def hook(view: GroupView) -> None:
        workload.set_serving(view.serving_ids)
    return hook


async def _resolve_group(client: EssClient, policy_set: PolicySet) -> str:
    if policy_set.group_id is not None:
        return policy_set.group_id
    assert policy_set.group_name is not None
    found = await client.describe_scaling_groups(names=[policy_set.group_name])
    if not found:
        raise LookupError(f"{policy_set.source}: scaling group {policy_set.group_name!r} does not exist")
    return found[0].scaling_group_id
