"""The coordinator: steps in order, one failing step isolated, the busy source checked at build."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from autoscaler.controller.care import CareApi, CareCoordinator, CareReport, CareView, MetricReader, build_care
from autoscaler.controller.care_state import CareStateStore
from autoscaler.controller.config import CareConfig
from autoscaler.controller.snapshot import GroupView, observe
from autoscaler.ess import ess_error
from autoscaler.ess.model import ScalingGroup, ScalingInstance
from autoscaler.policy.model import Action, Decision, Direction, GroupMemory

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
GROUP = ScalingGroup(scaling_group_id="asg-1", scaling_group_name="web", min_size=1, max_size=10,
                     lifecycle_state="Active", total_capacity=2, multi_az_policy="BALANCE")
INSTANCES = [ScalingInstance(instance_id=f"i-{n}", lifecycle_state="InService", zone_id="g") for n in range(2)]
HOLD = Decision(now=NOW, action=Action.NONE, direction=Direction.HOLD, total=2, target=None, execution=None,
                policy=None, proposals=(), limits=(), memory=GroupMemory(), memory_unexecuted=GroupMemory())


class Describer:
    """The one read the coordinator makes itself."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def describe_scaling_instances(self, **_: Any) -> list[ScalingInstance]:
        if self.fail:
            raise ess_error("InvalidScalingGroupId.NotFound", action="DescribeScalingInstances")
        return list(INSTANCES)


class Step:
    def __init__(self, name: str, report: CareReport | None, seen: list[str]) -> None:
        self.name = name
        self._report = report
        self._seen = seen

    async def apply(self, view: CareView, now: datetime) -> CareReport:
        self._seen.append(self.name)
        if self._report is None:
            raise ess_error("Throttling")
        assert len(view.instances) == 2 and view.desired == 2 and not view.scaling_out
        return self._report


def _view() -> GroupView:
    return observe(GROUP, INSTANCES, [], now=NOW, warmup=timedelta(0))


def test_steps_run_in_order_and_a_failing_one_is_reported_not_raised() -> None:
    seen: list[str] = []
    steps = [Step("maintenance", CareReport(floor=3), seen), Step("busy", None, seen),
             Step("rebalance", CareReport(zone_imbalance=2), seen)]
    care = CareCoordinator("asg-1", "web", api=cast(CareApi, Describer()), steps=steps)
    report = asyncio.run(care.apply(_view(), HOLD, NOW))
    assert seen == ["maintenance", "busy", "rebalance"]
    assert (report.floor, report.zone_imbalance) == (3, 2)
    [failed] = report.actions
    assert failed.step == "busy" and failed.result == "failed" and "Throttling" in failed.reason


def test_a_failed_describe_skips_care_for_the_tick() -> None:
    seen: list[str] = []
    care = CareCoordinator("asg-1", "web", api=cast(CareApi, Describer(fail=True)),
                           steps=[Step("busy", CareReport(), seen)])
    report = asyncio.run(care.apply(_view(), HOLD, NOW))
    assert seen == [] and report.actions[0].result == "failed"


class NoReader:
    async def read(self, refs: Sequence[Any], *, now: datetime) -> dict[Any, Any]:
        raise AssertionError("not read at build time")


def test_a_busy_metric_from_an_unconfigured_source_is_refused_at_build() -> None:
    config = CareConfig.model_validate({"busy": {"metric": {"prometheus": "jobs"}}})
    store = CareStateStore(":memory:")
    with pytest.raises(ValueError, match=r"groups\.web\.care\.busy\.metric: no prometheus source"):
        build_care("asg-1", "web", config, api=cast(CareApi, Describer()), metrics=cast(MetricReader, NoReader()),
                   store=store, shadow=False, sources=["synthetic"])
    built = build_care("asg-1", "web", config, api=cast(CareApi, Describer()), metrics=cast(MetricReader, NoReader()),
                       store=store, shadow=False, sources=["prometheus"])
    assert built is not None and [s.name for s in built.steps] == ["busy"]
    disabled = CareConfig.model_validate({"busy": {"enabled": False, "metric": {"prometheus": "jobs"}}})
    assert build_care("asg-1", "web", disabled, api=cast(CareApi, Describer()),
                      metrics=cast(MetricReader, NoReader()), store=store, shadow=False) is None
    store.close()


def test_a_shadow_rebalance_is_reported_once_per_interval_without_a_call() -> None:
    config = CareConfig.model_validate({"rebalance": {"minIntervalSeconds": 600, "zones": ["g", "h"]}})
    store = CareStateStore(":memory:")
    care = build_care("asg-1", "web", config, api=cast(CareApi, Describer()), metrics=cast(MetricReader, NoReader()),
                      store=store, shadow=True)
    assert care is not None
    first = asyncio.run(care.apply(_view(), HOLD, NOW))
    second = asyncio.run(care.apply(_view(), HOLD, NOW))
    assert [a.result for a in first.actions] == ["shadow"] and second.actions == ()
    assert first.zone_imbalance == second.zone_imbalance == 2
    assert store.last_mark("asg-1", "rebalance") is None  # nothing journaled in shadow mode
    store.close()
