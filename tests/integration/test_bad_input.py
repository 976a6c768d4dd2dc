"""Malformed requests to every action: the documented error, never a 500, nothing changed.

Against a world with one of everything (a group, configuration, rule, instance), each
action gets requests with a required parameter missing, numbers and booleans that are
not, values out of range, oversized lists and bytes that are not UTF-8. Every answer
must be a 4xx whose code the reference documents for the action (or as a common
error), and the emulator's state must be exactly what it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import catalogue
from autoscaler.ess._signing import sign, string_to_sign
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS
from autoscaler.ess.wire import format_timestamp
from tests.integration._server import RunningEmulator, running_emulator

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ECS = {"RedeployInstance"}
ACTIONS = [a for a in catalogue().actions if catalogue().product(a) == "ess"]
_COMMON_CODES = {"MissingParameter", "InvalidParameter", "UnsupportedOperation", "Throttling", "Forbidden",
                 "InvalidRegionId.NotFound", "IncorrectScalingGroupStatus"}


class World:
    def __init__(self, emu: RunningEmulator, ids: dict[str, str]) -> None:
        self.emu = emu
        self.ids = ids
        self.nonce = 0

    def send(self, action: str, params: dict[str, str], *, raw: bytes = b"") -> httpx.Response:
        self.nonce += 1
        full = {"Action": action, "Version": "2014-08-28", "Format": "JSON", "AccessKeyId": "testid",
                "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": f"bad-{self.nonce}",
                "Timestamp": format_timestamp(self.emu.clock.now()), **params}
        full["Signature"] = sign(string_to_sign("POST", full), "testsecret")
        body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in full.items()).encode()
        return httpx.post(f"{self.emu.url}/", content=body + raw,
                          headers={"content-type": "application/x-www-form-urlencoded"}, timeout=10)

    def snapshot(self) -> dict[str, Any]:
        with self.emu.app.locked() as service:
            state = service.state
            return {
                "groups": {k: repr(v) for k, v in state.groups.items()},
                "rules": {k: repr(v) for k, v in state.rules.items()},
                "configurations": {k: repr(v) for k, v in state.configurations.items()},
                "instances": {k: repr(v) for k, v in state.instances.items()},
                "activities": sorted(state.activities),
                "tasks": sorted(state.scheduled_tasks),
                "hooks": sorted(state.hooks),
                "ecs": sorted(state.ecs_instances),
            }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    clock = VirtualClock(START)
    with running_emulator(clock, settings=EmulatorSettings(launch_seconds=5)) as emu:
        async def build() -> dict[str, str]:
            async with EssClient(credentials=EXAMPLE_CREDENTIALS, region="cn-hangzhou", clock=clock,
                                 endpoint=emu.url) as ess:
                group = await ess.create_scaling_group(min_size=0, max_size=5, DefaultCooldown=0)
                config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large",
                                                                security_group_id="sg-1", ImageId="img")
                await ess.enable_scaling_group(group, configuration_id=config)
                rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=1)
                await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="world")
                clock.advance(60)
                [instance] = await ess.describe_scaling_instances(scaling_group_id=group)
                return {"ScalingGroupId": group, "ScalingConfigurationId": config,
                        "ScalingRuleId": rule.scaling_rule_id,
                        "ScalingRuleAri": rule.scaling_rule_ari, "ScheduledAction": rule.scaling_rule_ari,
                        "InstanceId": instance.instance_id, "RegionId": "cn-hangzhou"}

        yield World(emu, asyncio.run(build()))


def _base(world: World, action: str) -> dict[str, str]:
    """Plausible values for the required parameters (real ids where there are some)."""
    params: dict[str, str] = {}
    for spec in catalogue().params(action):
        name = str(spec["name"])
        if not spec.get("required") or name == "Action":
            continue
        plain = name.replace(".N", "").replace(".n", "")
        if ".N" in name or ".n" in name:
            name = name.replace(".N", ".1").replace(".n", ".1").replace(".M", ".1")
        kind = spec.get("type")
        params[name] = world.ids.get(plain, "1" if kind in ("Integer", "Long") else "true" if kind == "Boolean"
                                     else "x-value")
    return params


def _assert_documented(action: str, response: httpx.Response, case: str) -> str:
    assert 400 <= response.status_code < 500, f"{action} {case}: HTTP {response.status_code} {response.text}"
    body = response.json()
    documented = set(catalogue().action_codes(action)) | _COMMON_CODES
    assert body["Code"] in documented, f"{action} {case}: undocumented code {body['Code']} ({body['Message']})"
    assert body["RequestId"] and body["Message"]
    return str(body["Code"])


@pytest.mark.parametrize("action", ACTIONS)
def test_malformed_requests_get_documented_errors_and_change_nothing(world: World, action: str) -> None:
    before = world.snapshot()
    base = _base(world, action)
    specs = catalogue().params(action)
    for spec in specs:
        name = str(spec["name"])
        if spec.get("required") and name != "Action" and ".N" not in name and ".n" not in name and ".M" not in name:
            missing = {k: v for k, v in base.items() if k != name}
            code = _assert_documented(action, world.send(action, missing), f"without {name}")
            assert code == "MissingParameter", f"{action} without {name}: {code}"
        if spec.get("type") in ("Integer", "Boolean", "Float", "Long"):
            key = name.replace(".N", ".1").replace(".n", ".1").replace(".M", ".1")
            code = _assert_documented(action, world.send(action, {**base, key: "not-a-number"}), f"{key}=garbage")
            assert code in ("InvalidParameter", "InvalidParamter"), f"{action} {key}=not-a-number: {code}"
            if spec.get("type") in ("Integer", "Long"):  # beyond a 32-bit Integer
                _assert_documented(action, world.send(action, {**base, key: "99999999999999999999"}), f"{key}=huge")
        if name.endswith(".N") and spec.get("required"):
            prefix = name.split(".N")[0]
            many = {**base, **{f"{prefix}.{i}": f"v-{i}" for i in range(1, 52)}}
            _assert_documented(action, world.send(action, many), f"{prefix}.1-51")
    if base:
        garbage = world.send(action, base, raw=b"&" + next(iter(base)).encode() + b"2=%FF%FE%C3")
        assert _assert_documented(action, garbage, "non-UTF-8") == "InvalidParameter"
    assert world.snapshot() == before, f"{action}: a rejected request changed the state"
    assert world.emu.service.internal_errors == []


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "3", "MaxSize": "1"}),
        ("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1001"}),
        ("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1", "DefaultCooldown": "-5"}),
        ("DescribeScalingGroups", {"RegionId": "cn-hangzhou", "PageSize": "51"}),
        ("DescribeScalingGroups", {"RegionId": "cn-hangzhou", "PageNumber": "0"}),
        ("CreateScalingRule", {"AdjustmentType": "Sideways", "AdjustmentValue": "1"}),
        ("CreateScalingRule", {"AdjustmentType": "TotalCapacity", "AdjustmentValue": "-1"}),
        ("CreateScalingRule",
         {"AdjustmentType": "QuantityChangeInCapacity", "AdjustmentValue": "1", "Cooldown": "86401"}),
        ("SetInstancesProtection", {"ProtectedFromScaleIn": "maybe"}),
        ("RemoveInstances", {**{f"InstanceId.{i}": f"i-{i}" for i in range(1, 22)}}),
    ],
)
def test_values_out_of_range_get_documented_errors(world: World, action: str, params: dict[str, str]) -> None:
    before = world.snapshot()
    group_scoped = {"ScalingGroupId": world.ids["ScalingGroupId"]} if action not in (
        "CreateScalingGroup", "DescribeScalingGroups") else {}
    _assert_documented(action, world.send(action, {**group_scoped, **params}), repr(params))
    assert world.snapshot() == before
