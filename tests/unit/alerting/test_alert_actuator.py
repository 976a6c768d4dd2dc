"""Alert actions executed on ess-local through the real client and wire format, exactly once per firing window."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from autoscaler.alerting import (
    Adjustment,
    AlertActuator,
    AlertQueue,
    evaluate,
    load_mappings,
    parse_payload,
)
from autoscaler.alerting.actuator import rule_name
from autoscaler.clock import VirtualClock
from autoscaler.emulator.http import EmulatorApp
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import AdjustmentType
from autoscaler.ess._retry import RetryPolicy
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials

KEY = Credentials(access_key_id="AK1", access_key_secret="SK1")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Factory = Callable[..., dict[str, Any]]


class World:
    def __init__(self) -> None:
        self.clock = VirtualClock(START)
        self.service = EssService(self.clock, settings=EmulatorSettings(launch_seconds=5))
        self.app = EmulatorApp(self.service, clock=self.clock, keys={"AK1": KEY})
        self.queue = AlertQueue(clock=self.clock)

    def run(self, scenario: Callable[[EssClient], Awaitable[Any]]) -> Any:
        async def go() -> Any:
            async with EssClient(credentials=KEY, region="cn-hangzhou", clock=self.clock,
                                 endpoint="http://ess-local", transport=httpx.ASGITransport(app=self.app),
                                 retry=RetryPolicy(max_attempts=1)) as client:
                return await scenario(client)

        return asyncio.run(go())


async def _group(ess: EssClient) -> tuple[str, str]:
    group = await ess.create_scaling_group(min_size=0, max_size=10, ScalingGroupName="web", DefaultCooldown=0)
    config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large", security_group_id="sg-1",
                                                    ImageId="img-1")
    await ess.enable_scaling_group(group, configuration_id=config)
    rule = await ess.create_scaling_rule(group, adjustment_type="QuantityChangeInCapacity", adjustment_value=2,
                                         name="alert-out")
    return group, rule.scaling_rule_ari


def _submit(world: World, mappings: Any, body: dict[str, Any]) -> None:
    alerts = parse_payload(json.dumps(body)).alerts
    world.queue.submit(evaluate(alerts, mappings, world.clock.now()))


def test_repeated_notifications_execute_the_mapped_rule_once(alert: Factory, body: Factory) -> None:
    world = World()

    async def scenario(ess: EssClient) -> None:
        group, ari = await _group(ess)
        mappings = load_mappings({"mappings": [
            {"name": "web-out", "alertname": "HighLoad", "group": "web", "cooldown_seconds": 0,
             "action": {"type": "execute_rule", "scaling_rule_ari": ari}},
        ]})
        actuator = AlertActuator(client=ess)
        outcomes = []
        for _ in range(3):  # three notifications (repeat_interval, a second replica), a tick after each
            _submit(world, mappings, body(alert()))
            outcomes.append((await actuator.tick(world.queue, group="web", scaling_group_id=group)).outcome)
            world.clock.advance(timedelta(seconds=30))
        assert outcomes[0] is not None and outcomes[0].result == "executed"
        assert outcomes[1:] == [None, None]
        # even a forgetful receiver (a restart) cannot make a second activity: the token is the same
        again = await actuator.execute(outcomes[0].intent, scaling_group_id=group)
        assert again.activity_id == outcomes[0].activity_id
        activities = await ess.describe_scaling_activities(scaling_group_id=group)
        assert len(activities) == 1

    world.run(scenario)


def test_a_step_adjustment_uses_an_owned_rule_created_once(alert: Factory, body: Factory) -> None:
    world = World()

    async def scenario(ess: EssClient) -> None:
        group, _ = await _group(ess)
        mappings = load_mappings({"mappings": [
            {"name": "web-step", "alertname": "HighLoad", "group": "web", "cooldown_seconds": 0,
             "action": {"type": "step", "adjustment_type": "TotalCapacity", "adjustment_value": 3}},
        ]})
        actuator = AlertActuator(client=ess)
        _submit(world, mappings, body(alert()))
        first = (await actuator.tick(world.queue, group="web", scaling_group_id=group)).outcome
        world.clock.advance(timedelta(minutes=5))
        _submit(world, mappings, body(alert(starts_at="2026-03-01T12:04:00Z")))  # a new firing window
        second = (await actuator.tick(world.queue, group="web", scaling_group_id=group)).outcome
        assert first is not None and first.result == "executed"
        assert second is not None and second.result == "no_change"  # already at 3
        rules = await ess.describe_scaling_rules(scaling_group_id=group, names=[rule_name("web-step")])
        assert [(r.adjustment_type, r.adjustment_value) for r in rules] == [("TotalCapacity", 3)]

    world.run(scenario)


def test_a_policy_step_is_resolved_by_the_controller(alert: Factory, body: Factory) -> None:
    world = World()
    asked: list[tuple[str, str, int]] = []

    def resolve(group: str, policy: str, step: int) -> Adjustment:
        asked.append((group, policy, step))
        return Adjustment(adjustment_type=AdjustmentType.QUANTITY, adjustment_value=1)

    async def scenario(ess: EssClient) -> None:
        group, _ = await _group(ess)
        mappings = load_mappings({"mappings": [
            {"name": "cpu-step", "alertname": "HighLoad", "group": "web",
             "action": {"type": "step", "policy": "cpu", "step": 2}},
        ]})
        _submit(world, mappings, body(alert()))
        tick = await AlertActuator(client=ess, resolve_step=resolve).tick(world.queue, group="web",
                                                                         scaling_group_id=group)
        assert tick.outcome is not None and tick.outcome.result == "executed"

    world.run(scenario)
    assert asked == [("web", "cpu", 2)]


def test_a_busy_group_gets_the_action_again_at_the_next_tick(alert: Factory, body: Factory) -> None:
    world = World()

    async def scenario(ess: EssClient) -> None:
        group, ari = await _group(ess)
        mappings = load_mappings({"mappings": [
            {"name": "a", "alertname": "HighLoad", "group": "web", "action": {"type": "step",
             "adjustment_type": "QuantityChangeInCapacity", "adjustment_value": 1}},
            {"name": "b", "alertname": "HighLoad", "group": "web",
             "action": {"type": "execute_rule", "scaling_rule_ari": ari}},
        ]})
        actuator = AlertActuator(client=ess)
        _submit(world, mappings, body(alert()))
        first = await actuator.tick(world.queue, group="web", scaling_group_id=group)
        busy = await actuator.tick(world.queue, group="web", scaling_group_id=group)  # launch takes 5 s
        world.clock.advance(timedelta(seconds=10))
        later = await actuator.tick(world.queue, group="web", scaling_group_id=group)
        assert first.outcome is not None and first.outcome.result == "executed"
        assert busy.outcome is not None and busy.outcome.result == "busy" and busy.outcome.requeued
        assert later.outcome is not None and later.outcome.result == "executed"
        assert later.outcome.intent == busy.outcome.intent

    world.run(scenario)


def test_a_policy_step_without_a_resolver_fails_cleanly(alert: Factory, body: Factory) -> None:
    world = World()

    async def scenario(ess: EssClient) -> None:
        group, _ = await _group(ess)
        mappings = load_mappings({"mappings": [
            {"name": "cpu-step", "alertname": "HighLoad", "group": "web",
             "action": {"type": "step", "policy": "cpu", "step": 0}},
        ]})
        _submit(world, mappings, body(alert()))
        tick = await AlertActuator(client=ess).tick(world.queue, group="web", scaling_group_id=group)
        assert tick.outcome is not None and tick.outcome.result == "failed" and not tick.outcome.requeued
        assert tick.outcome.error == "mapping cpu-step: a policy step needs a step resolver"

    world.run(scenario)
