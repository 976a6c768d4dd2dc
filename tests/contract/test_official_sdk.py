"""Conformance with Alibaba Cloud's own client: aliyun-python-sdk-core + aliyun-python-sdk-ess.

The official SDK talks to ess-local on loopback exactly as it would talk to the cloud
(``add_endpoint`` and no proxies, as DESIGN.md says). Every response is checked against
the fields the reference documents for its action (:mod:`tests.contract._documented`),
and errors must arrive as the SDK's ``ServerException`` with the documented code and
HTTP status. The emulator runs on a virtual clock pinned to the wall clock, because
the SDK stamps requests with the real time; the test moves it by seconds only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.settings import EmulatorSettings
from tests.contract._documented import missing_fields
from tests.integration._server import RunningEmulator, running_emulator

REGION = "cn-hangzhou"


class Sdk:
    """A thin driver: any action by name, parameters already flat, JSON back."""

    def __init__(self, port: int, secret: str = "testsecret") -> None:
        self.client = AcsClient("testid", secret, REGION, proxy={"http": None, "https": None}, timeout=10)
        self.client.add_endpoint(REGION, "Ess", f"127.0.0.1:{port}")

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        module = __import__(f"aliyunsdkess.request.v20140828.{action}Request", fromlist=[f"{action}Request"])
        request: RpcRequest = getattr(module, f"{action}Request")()
        request.set_protocol_type("http")
        for key, value in params.items():
            request.add_query_param(key, str(value).lower() if isinstance(value, bool) else str(value))
        body: dict[str, Any] = json.loads(self.client.do_action_with_exception(request))
        assert body.get("RequestId"), f"{action}: no RequestId"
        assert missing_fields(action, body) == [], f"{action}: documented fields missing"
        return body


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    clock = VirtualClock(datetime.now(UTC))
    with running_emulator(clock, settings=EmulatorSettings(launch_seconds=5, removal_seconds=5,
                                                           attach_seconds=5)) as running:
        yield running


def _advance(emu: RunningEmulator, seconds: float) -> None:
    assert isinstance(emu.clock, VirtualClock)
    emu.clock.advance(timedelta(seconds=seconds))


def _setup_group(sdk: Sdk) -> tuple[str, str]:
    group = sdk.call("CreateScalingGroup", RegionId=REGION, MinSize=0, MaxSize=10, ScalingGroupName="sdk-web",
                     DefaultCooldown=0, **{"RemovalPolicy.1": "OldestInstance"})["ScalingGroupId"]
    config = sdk.call("CreateScalingConfiguration", ScalingGroupId=group, ImageId="centos_7",
                      InstanceType="ecs.g6.large", SecurityGroupId="sg-1",
                      ScalingConfigurationName="sdk-config")["ScalingConfigurationId"]
    return group, config


def test_the_official_sdk_runs_a_realistic_scenario_against_ess_local(emu: RunningEmulator) -> None:
    sdk = Sdk(emu.port)
    group, config = _setup_group(sdk)
    add_two = sdk.call("CreateScalingRule", ScalingGroupId=group, AdjustmentType="QuantityChangeInCapacity",
                       AdjustmentValue=2, ScalingRuleName="add-two")
    to_one = sdk.call("CreateScalingRule", ScalingGroupId=group, AdjustmentType="TotalCapacity", AdjustmentValue=1)
    assert add_two["ScalingRuleAri"].endswith(f"scalingrule/{add_two['ScalingRuleId']}")
    sdk.call("EnableScalingGroup", ScalingGroupId=group, ActiveScalingConfigurationId=config)

    first = sdk.call("ExecuteScalingRule", ScalingRuleAri=add_two["ScalingRuleAri"], ClientToken="sdk-token-1")
    second = sdk.call("ExecuteScalingRule", ScalingRuleAri=add_two["ScalingRuleAri"], ClientToken="sdk-token-1")
    assert first["ScalingActivityId"] == second["ScalingActivityId"]
    activities = sdk.call("DescribeScalingActivities", RegionId=REGION, ScalingGroupId=group)
    assert activities["TotalCount"] == 1
    _advance(emu, 30)
    [activity] = sdk.call("DescribeScalingActivities", RegionId=REGION, ScalingGroupId=group)["ScalingActivities"][
        "ScalingActivity"]
    assert activity["StatusCode"] == "Successful" and activity["Progress"] == 100

    groups = sdk.call("DescribeScalingGroups", RegionId=REGION, **{"ScalingGroupId.1": group})
    [described] = groups["ScalingGroups"]["ScalingGroup"]
    assert (described["TotalCapacity"], described["ActiveCapacity"], described["LifecycleState"]) == (2, 2, "Active")
    assert described["RemovalPolicies"]["RemovalPolicy"] == ["OldestInstance"]
    instances = sdk.call("DescribeScalingInstances", RegionId=REGION, ScalingGroupId=group)
    ids = [i["InstanceId"] for i in instances["ScalingInstances"]["ScalingInstance"]]
    assert len(ids) == 2
    rules = sdk.call("DescribeScalingRules", RegionId=REGION, ScalingGroupId=group)
    assert {r["ScalingRuleId"] for r in rules["ScalingRules"]["ScalingRule"]} == {
        add_two["ScalingRuleId"], to_one["ScalingRuleId"]}
    configs = sdk.call("DescribeScalingConfigurations", RegionId=REGION, ScalingGroupId=group)
    assert configs["ScalingConfigurations"]["ScalingConfiguration"][0]["InstanceType"] == "ecs.g6.large"

    # Attach an instance created through the admin interface, then remove it.
    [extra] = httpx.post(f"http://127.0.0.1:{emu.port}/_emulator/ecs/instances", json={"count": 1}).json()[
        "InstanceIds"]
    attach = sdk.call("AttachInstances", ScalingGroupId=group, **{"InstanceId.1": extra})
    _advance(emu, 30)
    attached = sdk.call("DescribeScalingInstances", RegionId=REGION, ScalingGroupId=group, CreationType="Attached")
    assert [i["InstanceId"] for i in attached["ScalingInstances"]["ScalingInstance"]] == [extra]
    remove = sdk.call("RemoveInstances", ScalingGroupId=group, **{"InstanceId.1": extra})
    _advance(emu, 30)
    done = sdk.call("DescribeScalingActivities", RegionId=REGION, ScalingGroupId=group,
                    **{"ScalingActivityId.1": attach["ScalingActivityId"],
                       "ScalingActivityId.2": remove["ScalingActivityId"]})
    assert {a["StatusCode"] for a in done["ScalingActivities"]["ScalingActivity"]} == {"Successful"}

    # Standby and protection.
    sdk.call("EnterStandby", ScalingGroupId=group, **{"InstanceId.1": ids[0]})
    standby = sdk.call("DescribeScalingInstances", RegionId=REGION, ScalingGroupId=group, LifecycleState="Standby")
    assert [i["InstanceId"] for i in standby["ScalingInstances"]["ScalingInstance"]] == [ids[0]]
    sdk.call("ExitStandby", ScalingGroupId=group, **{"InstanceId.1": ids[0]})
    sdk.call("SetInstancesProtection", ScalingGroupId=group, ProtectedFromScaleIn=True, **{"InstanceId.1": ids[1]})
    protected = sdk.call("DescribeScalingInstances", RegionId=REGION, ScalingGroupId=group,
                         LifecycleState="Protected")
    assert [i["InstanceId"] for i in protected["ScalingInstances"]["ScalingInstance"]] == [ids[1]]

    # A lifecycle hook holds the next launch until it is completed with CONTINUE.
    hook = sdk.call("CreateLifecycleHook", ScalingGroupId=group, LifecycleTransition="SCALE_OUT",
                    LifecycleHookName="sdk-warmup", HeartbeatTimeout=600, DefaultResult="ABANDON",
                    NotificationArn="acs:ess:cn-hangzhou:1344371:queue/sdk-hooks")["LifecycleHookId"]
    hooks = sdk.call("DescribeLifecycleHooks", ScalingGroupId=group)
    assert [h["LifecycleHookName"] for h in hooks["LifecycleHooks"]["LifecycleHook"]] == ["sdk-warmup"]
    grow = sdk.call("ExecuteScalingRule", ScalingRuleAri=add_two["ScalingRuleAri"], ClientToken="sdk-token-2")
    _advance(emu, 30)
    messages = httpx.get(f"http://127.0.0.1:{emu.port}/_emulator/outbox", params={"group_id": group}).json()
    tokens = [m["body"]["LifecycleActionToken"] for m in messages["messages"]
              if m["body"].get("LifecycleHookId") == hook]
    assert len(tokens) == 2, messages  # one wait state per launched instance
    for token in tokens:
        sdk.call("CompleteLifecycleAction", LifecycleHookId=hook, LifecycleActionToken=token,
                 LifecycleActionResult="CONTINUE")
    _advance(emu, 30)
    [grown] = sdk.call("DescribeScalingActivities", RegionId=REGION, ScalingGroupId=group,
                       **{"ScalingActivityId.1": grow["ScalingActivityId"]})["ScalingActivities"]["ScalingActivity"]
    assert grown["StatusCode"] == "Successful"
    assert sdk.call("DescribeScalingGroups", RegionId=REGION, **{"ScalingGroupId.1": group})["ScalingGroups"][
        "ScalingGroup"][0]["TotalCapacity"] == 4

    # A scheduled task.
    launch = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")
    task = sdk.call("CreateScheduledTask", RegionId=REGION, ScheduledAction=to_one["ScalingRuleAri"],
                    LaunchTime=launch, ScheduledTaskName="sdk-nightly", RecurrenceType="Daily", RecurrenceValue=1,
                    RecurrenceEndTime=(datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%MZ"))
    tasks = sdk.call("DescribeScheduledTasks", RegionId=REGION, **{"ScheduledTaskId.1": task["ScheduledTaskId"]})
    [described_task] = tasks["ScheduledTasks"]["ScheduledTask"]
    assert (described_task["ScheduledTaskName"], described_task["LaunchTime"]) == ("sdk-nightly", launch)


@pytest.mark.parametrize(
    ("action", "params", "code", "status"),
    [
        ("DeleteScalingRule", {"ScalingRuleId": "asr-missing"}, "InvalidScalingRuleId.NotFound", 404),
        ("CreateScalingRule", {"ScalingGroupId": "asg-x", "AdjustmentValue": 1}, "MissingParameter", 400),
        ("CreateScalingGroup", {"RegionId": REGION, "MinSize": "x", "MaxSize": 1}, "InvalidParameter", 400),
        ("ExecuteScalingRule", {"ScalingRuleAri": "ari:acs:ess:cn-hangzhou:1:scalingrule/asr-none"},
         "InvalidScalingRuleAri.NotFound", 404),
    ],
)
def test_errors_reach_the_sdk_as_server_exceptions_with_the_documented_code_and_status(
    emu: RunningEmulator, action: str, params: dict[str, Any], code: str, status: int
) -> None:
    with pytest.raises(ServerException) as info:
        Sdk(emu.port).call(action, **params)
    assert (info.value.get_error_code(), info.value.get_http_status()) == (code, status)
    assert info.value.get_request_id()


def test_a_wrong_secret_reaches_the_sdk_as_signature_does_not_match(emu: RunningEmulator) -> None:
    with pytest.raises(ServerException) as info:
        Sdk(emu.port, secret="not-the-secret").call("DescribeScalingGroups", RegionId=REGION)
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("SignatureDoesNotMatch", 403)

