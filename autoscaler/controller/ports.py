"""The seams of the controller: what it needs from ESS and from metric sources.

The controller depends on these protocols only, never on the emulator (an
import-linter contract). :class:`autoscaler.ess.client.EssClient` satisfies
:class:`EssApi` over HTTP; a replay satisfies it in process over the emulator
service, which is how ``autoscaler simulate`` shares the tick code without the
wire's cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from autoscaler.ess.client import RuleRef
from autoscaler.ess.model import ScalingActivity, ScalingGroup, ScalingInstance, ScalingRule

__all__ = ["EssApi", "RuleRef"]


class EssApi(Protocol):
    """The ESS actions the control loop calls (a subset of ``EssClient``)."""

    async def describe_scaling_groups(
        self, *, scaling_group_ids: Sequence[str] = (), names: Sequence[str] = ()
    ) -> list[ScalingGroup]: ...

    async def describe_scaling_instances(
        self, *, scaling_group_id: str | None = None, instance_ids: Sequence[str] = (),
        lifecycle_state: str | None = None, health_status: str | None = None, creation_type: str | None = None,
    ) -> list[ScalingInstance]: ...

    async def describe_scaling_activities(
        self, *, scaling_group_id: str | None = None, activity_ids: Sequence[str] = (),
        status_code: str | None = None, limit: int | None = None,
    ) -> list[ScalingActivity]: ...

    async def describe_scaling_rules(
        self, *, scaling_group_id: str | None = None, rule_ids: Sequence[str] = (), names: Sequence[str] = (),
        aris: Sequence[str] = (),
    ) -> list[ScalingRule]: ...

    async def create_scaling_rule(
        self, scaling_group_id: str, *, adjustment_type: str, adjustment_value: int,
        name: str | None = None, cooldown: int | None = None, **options: object,
    ) -> RuleRef: ...

    async def modify_scaling_rule(self, scaling_rule_id: str, **options: object) -> None: ...

    async def execute_scaling_rule(self, scaling_rule_ari: str, *, client_token: str | None = None) -> str: ...
