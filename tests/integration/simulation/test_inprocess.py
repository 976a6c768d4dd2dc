"""The replay's shortcuts change nothing: fast reads equal wire reads, sequential equals gathered.

- :class:`InProcessEss` answers a group's Describe calls from the service's typed reads;
  the same calls through the wire contract (``handle`` + ``from_wire``) give equal models.
- :class:`ReplayTicker` observes sequentially; :class:`GroupTicker` gathers: equal views.
- Reading only the newest activities gives the same replay as reading all of them.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from autoscaler.clock import VirtualClock
from autoscaler.controller.actuator import ShadowActuator
from autoscaler.controller.state import StateStore
from autoscaler.controller.tick import GroupSettings, GroupTicker, MetricRouter
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import ScalingActivityInProgressError
from autoscaler.simulation import replay as replay_module
from autoscaler.simulation.inprocess import InProcessEss
from autoscaler.simulation.recommended import recommended_policy
from autoscaler.simulation.replay import ReplaySettings, replay
from autoscaler.simulation.seams import ReplayTicker
from autoscaler.simulation.workload import Trace, load_trace

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TRACES = Path(__file__).resolve().parents[3].parent / "shared" / "traces"


def _group(service: EssService, clock: VirtualClock) -> str:
    gid = str(service.handle("CreateScalingGroup", {"RegionId": service.settings.region, "MinSize": "2",
                                                    "MaxSize": "30", "ScalingGroupName": "web"})["ScalingGroupId"])
    cid = str(service.handle("CreateScalingConfiguration", {"ScalingGroupId": gid, "InstanceType": "ecs.g6.large",
                                                           "SecurityGroupId": "sg-1", "ImageId": "img"})
              ["ScalingConfigurationId"])
    service.handle("EnableScalingGroup", {"ScalingGroupId": gid, "ActiveScalingConfigurationId": cid})
    clock.advance(120)
    return gid


async def _busy_group() -> tuple[InProcessEss, str, VirtualClock]:
    clock = VirtualClock(T0)
    service = EssService(clock, settings=EmulatorSettings(launch_seconds=90, removal_seconds=0))
    gid = _group(service, clock)
    api = InProcessEss(service, activity_page=None)
    rule = await api.create_scaling_rule(gid, adjustment_type="TotalCapacity", adjustment_value=7, name="rule-one")
    await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="t-1")
    clock.advance(30)  # launching: Pending instances, an activity in progress
    return api, gid, clock


def test_fast_describes_equal_the_wire_describes() -> None:
    async def scenario() -> None:
        api, gid, _ = await _busy_group()
        fast = InProcessEss(api.service)
        by_id = await fast.describe_scaling_groups(scaling_group_ids=[gid])
        by_name = await api.describe_scaling_groups(names=["web"])
        assert by_id == by_name and by_id[0].pending_capacity == 5
        assert await fast.describe_scaling_instances(scaling_group_id=gid) == \
            await api.describe_scaling_instances(scaling_group_id=gid, lifecycle_state=None, instance_ids=[])
        wire_acts = await api.describe_scaling_activities(scaling_group_id=gid)
        assert await fast.describe_scaling_activities(scaling_group_id=gid) == wire_acts[:50]
        assert wire_acts[0].status_code == "InProgress"
        assert fast.calls["DescribeScalingGroups"] == 1 and "DescribeScalingGroups" in api.calls
        assert await fast.describe_scaling_groups(scaling_group_ids=["asg-missing"]) == []

    asyncio.run(scenario())


def test_writes_go_through_the_emulator_semantics() -> None:
    async def scenario() -> None:
        api, gid, _ = await _busy_group()
        rule = await api.create_scaling_rule(gid, adjustment_type="QuantityChangeInCapacity", adjustment_value=1)
        with pytest.raises(ScalingActivityInProgressError):
            await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="t-2")

    asyncio.run(scenario())


def test_the_replay_ticker_sees_what_the_gathering_ticker_sees() -> None:
    async def scenario() -> None:
        api, gid, clock = await _busy_group()
        settings = GroupSettings(group_id=gid, name="web", warmup=timedelta(seconds=90))
        state = StateStore(":memory:")
        common = {"api": api, "metrics": MetricRouter({}), "refs": (), "actuator": ShadowActuator(),
                  "state": state, "evaluator": recommended_policy().decide}
        for _ in range(4):
            gathered = await GroupTicker(settings, **common).observe(clock.now())  # type: ignore[arg-type]
            sequential = await ReplayTicker(settings, **common).observe(clock.now())  # type: ignore[arg-type]
            assert gathered == sequential
            clock.advance(40)
        state.close()

    asyncio.run(scenario())


def test_reading_only_the_newest_activities_gives_the_same_replay() -> None:
    full = load_trace(TRACES / "nab_elb_request_count_8c0756.csv")
    trace = Trace(name="slice", start=full.start, demand=np.array(full.demand[:1200]))
    policy = recommended_policy(kind="targetTracking")
    short = replay(trace, policy, settings=ReplaySettings())
    everything = replay(trace, policy, settings=ReplaySettings(activity_page=None))
    assert short.scaling_activities > 10
    assert short.total.tolist() == everything.total.tolist()
    assert short.decisions == everything.decisions


def test_an_exclusive_client_never_answers_from_a_stale_cache() -> None:
    async def scenario() -> None:
        clock = VirtualClock(T0)
        service = EssService(clock, settings=EmulatorSettings(launch_seconds=90, removal_seconds=0))
        gid = _group(service, clock)
        api = InProcessEss(service, exclusive=True)

        async def check() -> None:
            # The exclusive client reads first (it advances the service to now); the service's own
            # typed reads at the same instant are the truth.
            groups = await api.describe_scaling_groups(scaling_group_ids=[gid])
            instances = await api.describe_scaling_instances(scaling_group_id=gid)
            activities = await api.describe_scaling_activities(scaling_group_id=gid)
            assert groups == [service.scaling_group(gid)]
            assert instances == service.scaling_instances(gid)
            assert activities == service.scaling_activities(gid, limit=50)

        rule = await api.create_scaling_rule(gid, adjustment_type="TotalCapacity", adjustment_value=6,
                                             name="rule-two")
        await check()
        await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="x-1")
        for _ in range(5):  # through the launch: Pending, then InService at 90 s
            await check()
            clock.advance(30)
        await check()
        await api.modify_scaling_rule(rule.scaling_rule_id, AdjustmentType="TotalCapacity", AdjustmentValue=3)
        await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="x-2")
        await check()
        clock.advance(1)
        await check()
        assert (await api.describe_scaling_groups(scaling_group_ids=[gid]))[0].total_capacity == 3

    asyncio.run(scenario())


def test_an_exclusive_client_drops_activities_once_they_leave_the_history() -> None:
    async def scenario() -> None:
        clock = VirtualClock(T0)
        service = EssService(clock, settings=EmulatorSettings(launch_seconds=90, removal_seconds=0))
        gid = _group(service, clock)
        api = InProcessEss(service, exclusive=True)
        rule = await api.create_scaling_rule(gid, adjustment_type="TotalCapacity", adjustment_value=4)
        await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="h-1")
        clock.advance(600)
        history = timedelta(days=service.settings.activity_history_days)
        seen = []
        # The group's first launch started at T0, the rule's activity 120 s later; now is T0 + 720 s.
        for step in (timedelta(0), history - timedelta(seconds=660), timedelta(0), timedelta(seconds=120)):
            clock.advance(step)  # nothing happens meanwhile: only the history cut moves
            found = await api.describe_scaling_activities(scaling_group_id=gid)
            assert found == service.scaling_activities(gid, limit=50)
            seen.append(len(found))
        assert seen == [2, 1, 1, 0]

    asyncio.run(scenario())


def test_the_replay_state_in_objects_gives_the_same_replay_as_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    full = load_trace(TRACES / "nab_elb_request_count_8c0756.csv")
    trace = Trace(name="slice", start=full.start, demand=np.array(full.demand[:1500]))
    for kind in ("targetTracking", "predictive"):
        policy = recommended_policy(kind=kind)
        in_objects = replay(trace, policy)
        with monkeypatch.context() as patch:
            patch.setattr(replay_module, "MemoryStateStore", lambda: StateStore(":memory:"))
            in_sqlite = replay(trace, policy)
        assert in_objects.scaling_activities > 5
        assert in_objects.total.tolist() == in_sqlite.total.tolist()
        assert in_objects.decisions == in_sqlite.decisions


def test_the_replay_ticker_reuses_a_view_only_until_a_warm_up_ends() -> None:
    async def scenario() -> None:
        clock = VirtualClock(T0)
        service = EssService(clock, settings=EmulatorSettings(launch_seconds=30, removal_seconds=0))
        gid = _group(service, clock)
        api = InProcessEss(service, exclusive=True)
        rule = await api.create_scaling_rule(gid, adjustment_type="TotalCapacity", adjustment_value=5)
        await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="w-1")
        settings = GroupSettings(group_id=gid, name="web", warmup=timedelta(seconds=120))
        state = StateStore(":memory:")
        common = {"api": api, "metrics": MetricRouter({}), "refs": (), "actuator": ShadowActuator(),
                  "state": state, "evaluator": recommended_policy().decide}
        ticker = ReplayTicker(settings, **common)  # type: ignore[arg-type]
        views = []
        for _ in range(12):  # launched in 30 s, warming for 120 s: reused views, then a change
            fresh = await GroupTicker(settings, **common).observe(clock.now())  # type: ignore[arg-type]
            views.append(await ticker.observe(clock.now()))
            assert views[-1] == fresh
            clock.advance(20)
        reused = sum(1 for a, b in itertools.pairwise(views) if a is b)
        warming = [v.capacity.warming for v in views]
        assert reused >= 3 and warming[0] > warming[-1] == 0
        state.close()

    asyncio.run(scenario())


def test_the_replay_ticker_with_the_client_hooks_sees_what_a_fresh_ticker_sees() -> None:
    """The reads answered from the previous view (repeat_reads) equal real reads: through a launch,
    its warm-up, a scale-in, and the history cut passing the activities while nothing else changes."""
    async def scenario() -> None:
        clock = VirtualClock(T0)
        service = EssService(clock, settings=EmulatorSettings(launch_seconds=30, removal_seconds=0))
        gid = _group(service, clock)
        api = InProcessEss(service, exclusive=True, activity_page=2)
        rule = await api.create_scaling_rule(gid, adjustment_type="TotalCapacity", adjustment_value=5)
        settings = GroupSettings(group_id=gid, name="web", warmup=timedelta(seconds=120))
        state = StateStore(":memory:")
        common = {"api": api, "metrics": MetricRouter({}), "refs": (), "actuator": ShadowActuator(),
                  "state": state, "evaluator": recommended_policy().decide}
        ticker = ReplayTicker(settings, generation=api.generation, repeat_reads=api.repeat_reads,
                              **common)  # type: ignore[arg-type]
        history = timedelta(days=service.settings.activity_history_days)
        steps = [timedelta(seconds=20)] * 12 + [history - timedelta(seconds=300)] + [timedelta(seconds=60)] * 8
        before = dict(api.calls)
        for n, step in enumerate(steps):
            if n == 0:
                await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="r-1")
            if n == 10:
                await api.modify_scaling_rule(rule.scaling_rule_id, AdjustmentType="TotalCapacity",
                                              AdjustmentValue=3)
                await api.execute_scaling_rule(rule.scaling_rule_ari, client_token="r-2")
            view = await ticker.observe(clock.now())
            fresh = await GroupTicker(settings, **common).observe(clock.now())  # type: ignore[arg-type]
            assert view == fresh, f"step {n}"
            clock.advance(step)
        # Every observe counts its three reads, answered from the view or not (plus the fresh tickers').
        for action in ("DescribeScalingGroups", "DescribeScalingInstances", "DescribeScalingActivities"):
            assert api.calls[action] - before.get(action, 0) == 2 * len(steps)
        assert fresh.activities == ()  # the history cut passed them all
        state.close()

    asyncio.run(scenario())
