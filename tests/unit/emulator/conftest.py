"""Fixtures of the emulator unit tests: a service on a virtual clock and a small driver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator._common import create_ecs_instance
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import EssError

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
REGION = {"RegionId": "cn-hangzhou"}


class Emu:
    """Drives an :class:`EssService` with wire parameters, as the HTTP front does."""

    region = REGION

    def __init__(self, service: EssService, clock: VirtualClock) -> None:
        self.service = service
        self.clock = clock

    @staticmethod
    def n(prefix: str, values: list[str]) -> dict[str, str]:
        """``{"prefix.1": values[0], ...}``: a repeated wire parameter."""
        return {f"{prefix}.{i}": v for i, v in enumerate(values, start=1)}

    def call(self, action: str, *params: dict[str, Any], **kw: Any) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in params:
            merged.update(part)
        merged.update(kw)
        return self.service.handle(action, {k: str(v) for k, v in merged.items()})

    def fails(self, code: str, action: str, *params: dict[str, Any], **kw: Any) -> EssError:
        with pytest.raises(EssError) as info:
            self.call(action, *params, **kw)
        assert info.value.code == code, info.value
        return info.value

    def group(self, *, min_size: int = 0, max_size: int = 10, enable: bool = True,
              instance_type: str = "ecs.g6.large", extra: dict[str, Any] | None = None,
              **params: Any) -> tuple[str, str]:
        """A group with one configuration (enabled and settled unless ``enable=False``)."""
        gid = self.call("CreateScalingGroup", REGION, extra or {}, MinSize=min_size, MaxSize=max_size,
                        **params)["ScalingGroupId"]
        cid = self.call("CreateScalingConfiguration", ScalingGroupId=gid, ImageId="img-1",
                        InstanceType=instance_type, SecurityGroupId="sg-1")["ScalingConfigurationId"]
        if enable:
            self.call("EnableScalingGroup", ScalingGroupId=gid, ActiveScalingConfigurationId=cid)
            self.settle()
        return gid, cid

    def rule(self, gid: str, adjustment_type: str, value: int, **extra: Any) -> str:
        return str(self.call("CreateScalingRule", ScalingGroupId=gid, AdjustmentType=adjustment_type,
                             AdjustmentValue=value, **extra)["ScalingRuleAri"])

    def execute(self, ari: str, **extra: Any) -> str:
        return str(self.call("ExecuteScalingRule", ScalingRuleAri=ari, **extra)["ScalingActivityId"])

    def scale_to(self, gid: str, total: int) -> None:
        ari = self.rule(gid, "TotalCapacity", total)
        self.execute(ari)
        self.settle()

    def settle(self) -> None:
        """Run the queue dry, moving the clock to each event."""
        while (due := self.service.next_event_time()) is not None:
            if due > self.clock.now():
                self.clock.set(due)
            self.service.advance(self.clock.now())

    def info(self, gid: str) -> dict[str, Any]:
        groups = self.call("DescribeScalingGroups", REGION, **{"ScalingGroupId.1": gid})
        return dict(groups["ScalingGroups"]["ScalingGroup"][0])

    def instances(self, gid: str, **filters: Any) -> list[dict[str, Any]]:
        body = self.call("DescribeScalingInstances", REGION, ScalingGroupId=gid, PageSize=50, **filters)
        return list(body["ScalingInstances"]["ScalingInstance"])

    def ids(self, gid: str, **filters: Any) -> list[str]:
        return [i["InstanceId"] for i in self.instances(gid, **filters)]

    def activity(self, aid: str) -> dict[str, Any]:
        body = self.call("DescribeScalingActivities", REGION, **{"ScalingActivityId.1": aid})
        return dict(body["ScalingActivities"]["ScalingActivity"][0])

    def ecs(self, *, zone: str = "cn-hangzhou-g", instance_type: str = "ecs.g6.large", status: str = "Running",
            vswitch_id: str | None = None, region: str = "cn-hangzhou") -> str:
        record = create_ecs_instance(self.service.state, region=region, zone=zone, instance_type=instance_type,
                                     now=self.clock.now(), status=status, vswitch_id=vswitch_id)
        return record.instance_id


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def settings() -> EmulatorSettings:
    return EmulatorSettings()


@pytest.fixture
def emu(clock: VirtualClock, settings: EmulatorSettings) -> Iterator[Emu]:
    service = EssService(clock, settings=settings)
    yield Emu(service, clock)
    assert service.internal_errors == [], "the emulator raised an unexpected exception"
