"""The embedded mode: our client reaches the emulator through ``httpx.ASGITransport``,
so even without a socket every call goes through signing, parsing and rendering."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime

import httpx
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.faults import Injection, ScriptedFaultPlan
from autoscaler.emulator.http import EmulatorApp
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import ess_error
from autoscaler.ess._retry import RetryPolicy
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS


def test_a_lost_response_and_throttling_are_retried_into_one_activity_in_embedded_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = VirtualClock(datetime(2024, 5, 1, tzinfo=UTC))
    service = EssService(clock, settings=EmulatorSettings(launch_seconds=5))
    app = EmulatorApp(service, clock=clock)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def scenario() -> tuple[str, int]:
        async with EssClient(credentials=EXAMPLE_CREDENTIALS, region="cn-hangzhou", clock=clock,
                             endpoint="http://ess-local", transport=httpx.ASGITransport(app=app),
                             retry=RetryPolicy(max_attempts=4), sleep=sleep, rng=random.Random(0)) as ess:
            group = await ess.create_scaling_group(min_size=0, max_size=3)
            config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large",
                                                            security_group_id="sg-1", ImageId="img")
            await ess.enable_scaling_group(group, configuration_id=config)
            rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=2)
            service.set_faults(ScriptedFaultPlan(
                [Injection(lose_response=True), Injection(error=ess_error("Throttling"))],
                actions=["ExecuteScalingRule"],
            ))
            activity = await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="embedded")
            return activity, len(await ess.describe_scaling_activities(scaling_group_id=group))

    caplog.set_level(logging.WARNING, logger="autoscaler.ess.client")
    activity, count = asyncio.run(scenario())
    assert activity.startswith("asa-") and count == 1
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("attempt 1/4 ExecuteScalingRule: ConnectionError; will retry in ")
    assert lines[1].startswith("attempt 2/4 ExecuteScalingRule: Throttling; will retry in ")
    assert len(sleeps) == 2 and service.internal_errors == []
