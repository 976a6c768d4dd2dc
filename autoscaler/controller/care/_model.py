"""The shapes shared by the care steps: what a step sees, what it reports, what it calls.

A step (:class:`CareStep`) has one method, ``apply(view, now)``, and returns a
:class:`CareReport`; the coordinator merges the reports of a group's steps into one
for the tick. A report says what was done (or, in shadow mode, what would have been
done) with a reason per action, and what the scaling decision of the same tick must
respect:

- ``floor``: the TotalCapacity the group must have (maintenance: the policies' need
  plus the instances out of serving), so the controller scales out *first*;
- ``keep``: the instances a scale-in cannot remove (protected plus standby after the
  step), so a decision taken on the tick's earlier view never asks for less.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from autoscaler.controller.snapshot import GroupView
from autoscaler.ess.model import ScalingInstance
from autoscaler.metrics import MetricSample
from autoscaler.policy.model import MetricRef

__all__ = [
    "ActionResult",
    "CareAction",
    "CareApi",
    "CareReport",
    "CareStep",
    "CareView",
    "MetricReader",
    "merge_reports",
]

ActionResult = Literal["executed", "shadow", "failed", "waiting", "skipped"]


class CareApi(Protocol):
    """The ESS and ECS actions instance care calls (a subset of ``EssClient``)."""

    async def describe_scaling_instances(
        self, *, scaling_group_id: str | None = None, instance_ids: Sequence[str] = (),
        lifecycle_state: str | None = None, health_status: str | None = None, creation_type: str | None = None,
    ) -> list[ScalingInstance]: ...

    async def set_instances_protection(
        self, scaling_group_id: str, instance_ids: Sequence[str], *, protected: bool
    ) -> None: ...

    async def enter_standby(self, scaling_group_id: str, instance_ids: Sequence[str]) -> None: ...

    async def exit_standby(self, scaling_group_id: str, instance_ids: Sequence[str]) -> None: ...

    async def rebalance_instances(self, scaling_group_id: str) -> str: ...

    async def redeploy_instance(self, instance_id: str, *, force_stop: bool = False) -> str: ...

    async def describe_tasks(self, task_ids: Sequence[str], *, task_action: str | None = None
                             ) -> list[dict[str, Any]]: ...

    async def describe_instance_history_events(
        self, *, instance_id: str | None = None, event_ids: Sequence[str] = ()
    ) -> list[dict[str, Any]]: ...


class MetricReader(Protocol):
    """Reads metric references (the tick's :class:`~autoscaler.controller.tick.MetricRouter`)."""

    async def read(self, refs: Sequence[MetricRef], *, now: datetime) -> dict[MetricRef, MetricSample]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CareView:
    """One group at one tick, as the care steps see it.

    ``desired`` is the TotalCapacity the policies decided this tick (before any care
    floor; the current total when they hold): with the view's idle instances it gives
    the serving capacity they need. ``scaling_out`` is true when they ask for more.
    """

    group_id: str
    name: str
    view: GroupView
    instances: tuple[ScalingInstance, ...]
    desired: int
    scaling_out: bool = False

    def __post_init__(self) -> None:
        if not self.group_id:
            raise ValueError("group_id: must be non-empty")
        if self.desired < 0:
            raise ValueError(f"desired: must be >= 0 (got {self.desired})")

    @property
    def serving_need(self) -> int:
        """Serving instances the policies need: the desired total minus what never serves."""
        return max(self.view.capacity.min_size, self.desired) - self.view.capacity.idle

    def by_id(self) -> dict[str, ScalingInstance]:
        return {i.instance_id: i for i in self.instances}


@dataclass(frozen=True, slots=True, kw_only=True)
class CareAction:
    """One thing a step did or would do, with its reason (for logs and the report)."""

    step: str
    action: str
    instance_ids: tuple[str, ...] = ()
    result: ActionResult = "executed"
    reason: str = ""

    def __str__(self) -> str:
        ids = f" {','.join(self.instance_ids)}" if self.instance_ids else ""
        return f"{self.step}: {self.action}{ids} -> {self.result} ({self.reason})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CareReport:
    """What instance care did for one group at one tick (see the module docstring)."""

    actions: tuple[CareAction, ...] = ()
    floor: int | None = None
    keep: int | None = None
    in_maintenance: int | None = None
    protected: int | None = None
    zone_imbalance: int | None = None
    failures: tuple[str, ...] = ()
    activity_started: bool = False

    def __post_init__(self) -> None:
        for name in ("floor", "keep", "in_maintenance", "protected", "zone_imbalance"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name}: must be >= 0 (got {value})")

    @property
    def summary(self) -> str:
        return "; ".join(str(a) for a in self.actions) or "nothing to do"


class CareStep(Protocol):
    """One care flow of one group: busy protection, maintenance, zone balance."""

    name: str

    async def apply(self, view: CareView, now: datetime) -> CareReport: ...


def _max(values: Sequence[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def merge_reports(reports: Sequence[CareReport]) -> CareReport:
    """One report for the tick: actions and failures in step order, the largest bounds."""
    return CareReport(
        actions=tuple(a for r in reports for a in r.actions),
        floor=_max([r.floor for r in reports]),
        keep=_max([r.keep for r in reports]),
        in_maintenance=_max([r.in_maintenance for r in reports]),
        protected=_max([r.protected for r in reports]),
        zone_imbalance=_max([r.zone_imbalance for r in reports]),
        failures=tuple(f for r in reports for f in r.failures),
        activity_started=any(r.activity_started for r in reports),
    )
