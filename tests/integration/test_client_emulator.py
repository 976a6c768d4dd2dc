"""Our client against ess-local over real loopback HTTP, for every method of the client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import EssError, IdempotentParameterMismatchError, NotFoundError
from autoscaler.ess._retry import RetryPolicy
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials
from tests.integration._server import RunningEmulator, running_emulator

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY = Credentials(access_key_id="AK1", access_key_secret="SK1")


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    clock = VirtualClock(START)
    with running_emulator(clock, keys={"AK1": KEY}, settings=EmulatorSettings(launch_seconds=5)) as running:
        yield running


def run(emu: RunningEmulator, scenario: Callable[[EssClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with EssClient(credentials=KEY, region="cn-hangzhou", clock=emu.clock, endpoint=emu.url,
                             retry=RetryPolicy(max_attempts=1)) as client:
            return await scenario(client)

    return asyncio.run(go())


def advance(emu: RunningEmulator, seconds: float) -> None:
    clock = emu.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(timedelta(seconds=seconds))


async def _active_group(ess: EssClient, *, max_size: int = 10) -> tuple[str, str]:
    group = await ess.create_scaling_group(min_size=0, max_size=max_size, ScalingGroupName="web",
                                           DefaultCooldown=0, RemovalPolicy=["NewestInstance"])
    config = await ess.create_scaling_configuration(group, instance_type="ecs.g6.large",
                                                    security_group_id="sg-1", ImageId="img-1")
    await ess.enable_scaling_group(group, configuration_id=config)
    return group, config


def test_scaling_groups_round_trip_through_every_group_method(emu: RunningEmulator) -> None:
    async def scenario(ess: EssClient) -> None:
        group, config = await _active_group(ess)
        [described] = await ess.describe_scaling_groups(scaling_group_ids=[group])
        assert described.scaling_group_name == "web" and described.lifecycle_state == "Active"
        assert described.active_scaling_configuration_id == config
        assert described.removal_policies == ("NewestInstance",)
        await ess.modify_scaling_group(group, MaxSize=8, ScalingGroupName="web-2")
        [modified] = await ess.describe_scaling_groups(names=["web-2"])
        assert modified.max_size == 8
        await ess.disable_scaling_group(group)
        [disabled] = await ess.describe_scaling_groups(scaling_group_ids=[group])
        assert disabled.lifecycle_state == "Inactive"
        configs = await ess.describe_scaling_configurations(scaling_group_id=group)
        assert [c.scaling_configuration_id for c in configs] == [config]
        await ess.delete_scaling_group(group, force=True)
        assert await ess.describe_scaling_groups(scaling_group_ids=[group]) == []

    run(emu, scenario)


def test_rules_and_execution_with_one_client_token_make_one_activity(emu: RunningEmulator) -> None:
    async def scenario(ess: EssClient) -> None:
        group, _ = await _active_group(ess)
        rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=2, name="own")
        await ess.modify_scaling_rule(rule.scaling_rule_id, AdjustmentValue=3)
        [described] = await ess.describe_scaling_rules(scaling_group_id=group)
        assert (described.adjustment_value, described.scaling_rule_ari) == (3, rule.scaling_rule_ari)
        first = await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="tok-1")
        again = await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="tok-1")
        assert first == again
        activities = await ess.describe_scaling_activities(scaling_group_id=group)
        assert [a.scaling_activity_id for a in activities] == [first]
        advance(emu, 30)
        [done] = await ess.describe_scaling_activities(activity_ids=[first])
        assert done.status_code == "Successful"
        instances = await ess.describe_scaling_instances(scaling_group_id=group)
        assert len(instances) == 3 and {i.lifecycle_state for i in instances} == {"InService"}
        await ess.delete_scaling_rule(rule.scaling_rule_id)
        with pytest.raises(NotFoundError):
            await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="tok-2")

    run(emu, scenario)


def test_a_client_token_reused_with_another_rule_is_a_mismatch(emu: RunningEmulator) -> None:
    async def scenario(ess: EssClient) -> None:
        group, _ = await _active_group(ess)
        one = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=1)
        two = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=2)
        await ess.execute_scaling_rule(one.scaling_rule_ari, client_token="same")
        with pytest.raises(IdempotentParameterMismatchError) as info:
            await ess.execute_scaling_rule(two.scaling_rule_ari, client_token="same")
        assert info.value.request_id

    run(emu, scenario)


def test_instances_standby_protection_attach_remove_detach_and_rebalance(emu: RunningEmulator) -> None:
    created = httpx.post(f"{emu.url}/_emulator/ecs/instances", json={"count": 2}).json()
    attach_ids = created["InstanceIds"]

    async def scenario(ess: EssClient) -> None:
        group, _ = await _active_group(ess)
        rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=2)
        await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="t")
        advance(emu, 30)
        ids = [i.instance_id for i in await ess.describe_scaling_instances(scaling_group_id=group)]
        await ess.enter_standby(group, ids[:1])
        [standby] = await ess.describe_scaling_instances(scaling_group_id=group, lifecycle_state="Standby")
        assert standby.instance_id == ids[0]
        await ess.exit_standby(group, ids[:1])
        await ess.set_instances_protection(group, ids[1:], protected=True)
        [protected] = await ess.describe_scaling_instances(scaling_group_id=group, lifecycle_state="Protected")
        assert protected.instance_id == ids[1]
        await ess.set_instances_protection(group, ids[1:], protected=False)
        attach = await ess.attach_instances(group, attach_ids, weights=[10, 20])
        advance(emu, 30)
        [attached] = await ess.describe_scaling_activities(activity_ids=[attach])
        assert attached.status_code == "Successful"
        attached_instances = await ess.describe_scaling_instances(scaling_group_id=group, creation_type="Attached")
        assert sorted(i.instance_id for i in attached_instances) == sorted(attach_ids)
        removed = await ess.remove_instances(group, attach_ids[:1])
        advance(emu, 60)
        detached = await ess.detach_instances(group, attach_ids[1:])
        advance(emu, 60)
        for activity in await ess.describe_scaling_activities(activity_ids=[removed, detached]):
            assert activity.status_code == "Successful"
        assert len(await ess.describe_scaling_instances(scaling_group_id=group)) == 2
        try:
            await ess.rebalance_instances(group)
        except EssError as exc:  # a single-zone or balanced group has nothing to rebalance
            assert exc.http_status == 400 and exc.code != "InternalError"

    run(emu, scenario)


def test_scheduled_tasks_round_trip(emu: RunningEmulator) -> None:
    async def scenario(ess: EssClient) -> None:
        group, _ = await _active_group(ess)
        rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=1)
        launch = START + timedelta(days=1)
        task = await ess.create_scheduled_task(scheduled_action=rule.scaling_rule_ari, launch_time=launch,
                                               ScheduledTaskName="nightly", RecurrenceType="Daily",
                                               RecurrenceValue="1", RecurrenceEndTime=launch + timedelta(days=5))
        await ess.modify_scheduled_task(task, Description="nightly scale-out")
        [described] = await ess.describe_scheduled_tasks(task_ids=[task])
        assert described.scheduled_task_name == "nightly" and described.launch_time == launch
        assert described.description == "nightly scale-out" and described.recurrence_type == "Daily"
        await ess.delete_scheduled_task(task)
        assert await ess.describe_scheduled_tasks(task_ids=[task]) == []

    run(emu, scenario)


def _hook_token(emu: RunningEmulator, group: str) -> str:
    messages = httpx.get(f"{emu.url}/_emulator/outbox", params={"group_id": group}).json()["messages"]
    tokens = [m["body"]["LifecycleActionToken"] for m in messages if "LifecycleActionToken" in m["body"]]
    assert tokens, messages
    return str(tokens[-1])


def test_lifecycle_hooks_hold_a_launch_until_complete_lifecycle_action(emu: RunningEmulator) -> None:
    async def scenario(ess: EssClient) -> None:
        group, _ = await _active_group(ess)
        hook = await ess.create_lifecycle_hook(group, transition="SCALE_OUT", LifecycleHookName="warmup",
                                               HeartbeatTimeout=600, DefaultResult="ABANDON",
                                               NotificationArn="acs:ess:cn-hangzhou:1344371:queue/hooks")
        await ess.modify_lifecycle_hook(hook, HeartbeatTimeout=900)
        [described] = await ess.describe_lifecycle_hooks(scaling_group_id=group)
        assert (described.lifecycle_hook_id, described.heartbeat_timeout) == (hook, 900)
        rule = await ess.create_scaling_rule(group, adjustment_type="TotalCapacity", adjustment_value=1)
        activity = await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token="hooked")
        advance(emu, 30)
        [waiting] = await ess.describe_scaling_instances(scaling_group_id=group)
        assert waiting.lifecycle_state != "InService"
        token = _hook_token(emu, group)
        await ess.record_lifecycle_action_heartbeat(hook, token, heartbeat_timeout=600)
        await ess.complete_lifecycle_action(hook, token, result="CONTINUE")
        advance(emu, 30)
        [serving] = await ess.describe_scaling_instances(scaling_group_id=group)
        assert serving.lifecycle_state == "InService"
        [done] = await ess.describe_scaling_activities(activity_ids=[activity])
        assert done.status_code == "Successful"
        await ess.delete_lifecycle_hook(hook)
        assert await ess.describe_lifecycle_hooks(scaling_group_id=group) == []

    run(emu, scenario)


def test_notification_configurations_round_trip(emu: RunningEmulator) -> None:
    arn = "acs:ess:cn-hangzhou:1344371:cloudmonitor"

    async def scenario(ess: EssClient) -> None:
        group, _ = await _active_group(ess)
        await ess.create_notification_configuration(group, arn, ["AUTOSCALING:SCALE_OUT_SUCCESS"])
        await ess.modify_notification_configuration(group, arn, ["AUTOSCALING:SCALE_OUT_SUCCESS",
                                                                 "AUTOSCALING:SCALE_IN_SUCCESS"])
        [config] = await ess.describe_notification_configurations(group)
        assert config.notification_arn == arn
        assert set(config.notification_types) == {"AUTOSCALING:SCALE_OUT_SUCCESS", "AUTOSCALING:SCALE_IN_SUCCESS"}
        await ess.delete_notification_configuration(group, arn)
        assert await ess.describe_notification_configurations(group) == []
        types = await ess.call("DescribeNotificationTypes")
        assert "AUTOSCALING:SCALE_OUT_SUCCESS" in types["NotificationTypes"]["NotificationType"]

    run(emu, scenario)


def test_ecs_maintenance_events_redeploy_and_tasks(emu: RunningEmulator) -> None:
    [instance] = httpx.post(f"{emu.url}/_emulator/ecs/instances", json={"count": 1}).json()["InstanceIds"]
    injected = httpx.post(f"{emu.url}/_emulator/ecs/events",
                          json={"instance_id": instance, "code": "SystemMaintenance.Redeploy", "not_before": 3600})
    assert injected.status_code == 200, injected.text

    async def scenario(ess: EssClient) -> None:
        [event] = await ess.describe_instance_history_events(instance_id=instance)
        assert event["EventType"]["Name"] == "SystemMaintenance.Redeploy"
        assert event["EventCycleStatus"]["Name"] == "Scheduled"
        task = await ess.redeploy_instance(instance, force_stop=True)
        [running] = await ess.describe_tasks([task], task_action="RedeployInstance")
        assert running["TaskStatus"] == "Processing"
        advance(emu, 600)
        [finished] = await ess.describe_tasks([task])
        assert finished["TaskStatus"] == "Finished"
        [after] = await ess.describe_instance_history_events(event_ids=[event["EventId"]])
        assert after["EventCycleStatus"]["Name"] == "Avoided"
        with pytest.raises(NotFoundError):
            await ess.redeploy_instance("i-does-not-exist")

    run(emu, scenario)
