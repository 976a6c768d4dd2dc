"""Resilience: 30 % injected faults, 500 decisions, exactly 500 scaling activities.

The emulator answers ExecuteScalingRule with Throttling, 5xx, a response later than
the client's timeout (after the change was applied) or a dropped connection (after
the change was applied). The client retries with backoff and the same ClientToken; the
service's idempotence turns every retry of an applied call into the same activity.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess._retry import RetryPolicy
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials
from autoscaler.ess.tokens import client_token
from tests.integration._server import running_emulator

KEY = Credentials(access_key_id="AK1", access_key_secret="SK1")
DECISIONS = 500

FAULTS = {
    "seed": 20240501,
    "rules": [{
        "actions": ["ExecuteScalingRule"],
        "error_rate": 0.15,
        "error_codes": ["Throttling", "ServiceUnavailable", "InternalError"],
        "latency_rate": 0.09,
        "latency": 0.3,
        "loss_rate": 0.09,
    }],
}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_500_decisions_under_30_percent_faults_make_exactly_500_activities(caplog: pytest.LogCaptureFixture) -> None:
    clock = VirtualClock(datetime(2024, 5, 1, tzinfo=UTC))
    settings = EmulatorSettings(launch_seconds=5, removal_seconds=5)
    caplog.set_level(logging.WARNING, logger="autoscaler.ess.client")
    with running_emulator(clock, keys={"AK1": KEY}, settings=settings) as emu:

        async def no_wait(seconds: float) -> None:
            return None

        async def scenario() -> tuple[list[str], int, dict[str, int]]:
            async with EssClient(
                credentials=KEY, region="cn-hangzhou", clock=clock, endpoint=emu.url, timeout=0.1,
                retry=RetryPolicy(max_attempts=12, base_delay=0.0, max_delay=0.0), sleep=no_wait,
                rng=random.Random(7),
            ) as ess:
                group = await ess.create_scaling_group(min_size=0, max_size=2, DefaultCooldown=0)
                config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large",
                                                                security_group_id="sg-1", ImageId="img-1")
                await ess.enable_scaling_group(group, configuration_id=config)
                up = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=1)
                down = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=0)
                assert httpx.put(f"{emu.url}/_emulator/faults", json=FAULTS).status_code == 200
                activity_ids = []
                for i in range(DECISIONS):
                    rule = up if i % 2 == 0 else down
                    token = client_token(group, "resilience", i)
                    activity_ids.append(await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token=token))
                    clock.advance(timedelta(minutes=2))  # the activity completes before the next decision
                injected = httpx.get(f"{emu.url}/_emulator/faults").json()["injected"]
                httpx.delete(f"{emu.url}/_emulator/faults")
                activities = await ess.describe_scaling_activities(scaling_group_id=group)
                return activity_ids, len(activities), injected

        started = time.monotonic()
        activity_ids, described, injected = asyncio.run(scenario())
        elapsed = time.monotonic() - started
        state = httpx.get(f"{emu.url}/_emulator/state").json()

    assert len(set(activity_ids)) == DECISIONS, "a decision was doubled or lost"
    assert described == DECISIONS
    assert state["scaling_activity_count"] == DECISIONS
    assert state["scaling_activities"] == {"Successful": DECISIONS}
    retries = [r.getMessage() for r in caplog.records if "will retry" in r.getMessage()]
    assert len(retries) >= 0.2 * DECISIONS, f"too few faults were injected: {len(retries)}"
    for kind in ("Throttling", "ServiceUnavailable", "InternalError", "Timeout", "ConnectionError"):
        # "ConnectionError": the response lost after the change was applied
        assert any(f"ExecuteScalingRule: {kind}; will retry" in line for line in retries), kind
    assert set(injected) == {"Throttling", "ServiceUnavailable", "InternalError", "latency", "lost"}
    faults = sum(injected.values())
    assert faults >= 0.2 * DECISIONS, injected
    assert elapsed < 60, f"took {elapsed:.0f}s"
