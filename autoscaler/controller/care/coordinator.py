"""The care of one group per tick: run its steps, merge their reports, bound the decision.

The tick calls :meth:`CareCoordinator.apply` once per group, after observing the
group and evaluating the policies and before actuating. The coordinator describes
the group's instances once (the tick's :class:`GroupView` counts them, care needs
each one), runs the enabled steps in a fixed order (maintenance, busy protection,
zone balance), and returns one :class:`CareReport`.

:func:`bound_decision` then applies the report to the tick's decision:

- a maintenance ``floor`` above the decided total turns it into a scale-out
  ("if the policies need it, the controller scales out first"), never above MaxSize;
- ``keep`` (protected plus standby instances after the steps) stops a scale-in that
  the policies computed on the tick's earlier view from asking for instances ESS
  cannot remove.

A step that fails (an ESS error outside its own handling, a metric source that
raises) is logged and reported; it never fails the tick, so scaling goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from autoscaler.controller.care._model import CareAction, CareApi, CareReport, CareStep, CareView, merge_reports
from autoscaler.controller.snapshot import GroupView
from autoscaler.ess.errors import AutoscalerError
from autoscaler.policy.model import Action, Decision, Direction, Limit, LimitKind

__all__ = ["CareCoordinator", "bound_decision"]

log = logging.getLogger("autoscaler.care")


class CareCoordinator:
    """Runs the care steps of one group (see the module docstring).

    Example::

        care = CareCoordinator(group_id, name, api=client, steps=[maintenance, busy])
        report = await care.apply(view, decision, now)
        decision = bound_decision(decision, report, max_size=view.capacity.max_size)
    """

    def __init__(self, group_id: str, name: str, *, api: CareApi, steps: Sequence[CareStep]) -> None:
        self.group_id = group_id
        self.name = name
        self._api = api
        self.steps = tuple(steps)

    async def apply(self, view: GroupView, decision: Decision, now: datetime) -> CareReport:
        if not self.steps:
            return CareReport()
        try:
            instances = await self._api.describe_scaling_instances(scaling_group_id=self.group_id)
        except AutoscalerError as exc:
            log.warning("group %s: care skipped this tick: DescribeScalingInstances: %s", self.name, exc)
            return CareReport(actions=(CareAction(step="care", action="describe", result="failed", reason=str(exc)),))
        desired = decision.target if decision.action is Action.SET_CAPACITY and decision.target is not None \
            else decision.total
        care_view = CareView(group_id=self.group_id, name=self.name, view=view, instances=tuple(instances),
                             desired=desired, scaling_out=decision.direction is Direction.OUT)
        reports = []
        for step in self.steps:
            try:
                reports.append(await step.apply(care_view, now))
            except (AutoscalerError, LookupError, ValueError) as exc:
                log.error("group %s: care step %s failed: %s: %s", self.name, step.name, type(exc).__name__, exc)
                reports.append(CareReport(actions=(CareAction(step=step.name, action="step", result="failed",
                                                              reason=f"{type(exc).__name__}: {exc}"),)))
        return merge_reports(reports)


def bound_decision(decision: Decision, report: CareReport, *, max_size: int) -> Decision:
    """The tick's decision within the care report's floor and keep (see the module docstring)."""
    if decision.action is Action.EXECUTE_RULE:
        return decision
    current = decision.target if decision.action is Action.SET_CAPACITY and decision.target is not None \
        else decision.total
    floor = min(report.floor, max_size) if report.floor is not None else 0
    keep = report.keep or 0
    lower = max(floor, keep)
    if lower <= current:
        return decision
    kind, why = ((LimitKind.FLOOR, f"maintenance needs {report.floor}") if floor >= keep
                 else (LimitKind.PROTECTED, f"{keep} protected or standby instances stay"))
    limits = (*decision.limits, Limit(kind, why))
    total = decision.total
    if lower == total:
        # A scale-in that would only remove instances ESS cannot remove, or that maintenance
        # needs: hold, and keep the memory of a decision not carried out.
        return decision._replace(action=Action.NONE, direction=Direction.HOLD, target=None, limits=limits,
                                 policy=decision.policy, memory=decision.memory_unexecuted)
    direction = Direction.OUT if lower > total else Direction.IN
    policy = "maintenance" if lower > total and kind is LimitKind.FLOOR else decision.policy
    memory = decision.memory if direction is Direction.IN else decision.memory_unexecuted
    if direction is Direction.OUT and decision.direction is Direction.OUT:
        memory = decision.memory
    return decision._replace(action=Action.SET_CAPACITY, direction=direction, target=lower, limits=limits,
                             policy=policy, memory=memory)
