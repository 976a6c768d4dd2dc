"""Alert-driven work inside the tick: Alertmanager intents meet the policy decision.

The receiver (``/alerts`` on the listen address) only queues intents; the tick of each
group drains them here, once per tick, so a storm of notifications never makes more
than one ESS call per group per tick:

- an *action* (execute a rule by ARI, a step) is carried out by the
  :class:`~autoscaler.alerting.AlertActuator` with the alert's ClientToken (derived from
  its fingerprint and firing window, so repeated notifications never scale twice);
  when it ran, the policy decision of the same tick waits for the next one;
- a *floor* (a temporary minimum while the alert fires) bounds the policy decision:
  the target is raised to the floor, never above MaxSize; the floor ends when the
  alert resolves or its maximum duration passes.

In shadow mode the action is reported and not executed; the floor still shapes the
(shadow) decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from autoscaler.alerting import AlertActuator, AlertQueue
from autoscaler.controller.snapshot import GroupView
from autoscaler.policy.model import Action, Decision, Direction, Limit, LimitKind

__all__ = ["AlertGate", "AlertStepResult", "apply_floor"]

log = logging.getLogger("autoscaler.alerts")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertStepResult:
    floor: int | None
    acted: bool
    summary: str | None = None


class AlertGate:
    """Drains one group's alert intents per tick (see the module docstring)."""

    def __init__(self, queue: AlertQueue, actuator: AlertActuator, *, shadow: bool) -> None:
        self._queue = queue
        self._actuator = actuator
        self._shadow = shadow

    async def step(self, name: str, group_id: str, view: GroupView) -> AlertStepResult:
        if self._shadow:
            drained = self._queue.drain(name)
            if drained.action is not None:
                log.info("group %s: alert action %s (shadow: not executed)", name, drained.action.mapping)
            return AlertStepResult(floor=drained.floor, acted=False)
        # A busy group answers ScalingActivityInProgress; the actuator requeues the action.
        tick = await self._actuator.tick(self._queue, group=name, scaling_group_id=group_id)
        acted = tick.outcome is not None and tick.outcome.result == "executed"
        summary = None
        if tick.outcome is not None:
            summary = f"alert {tick.outcome.intent.alertname}: {tick.outcome.result}"
        return AlertStepResult(floor=tick.floor, acted=acted, summary=summary)


def apply_floor(decision: Decision, floor: int | None, *, max_size: int) -> Decision:
    """Raise a capacity decision (or a hold) to an alert floor, within MaxSize."""
    if floor is None or decision.action is Action.EXECUTE_RULE:
        return decision
    bounded = min(floor, max_size)
    current = decision.target if decision.target is not None else decision.total
    if bounded <= current:
        return decision
    limit = Limit(LimitKind.FLOOR, f"alert floor {floor}")
    return decision._replace(action=Action.SET_CAPACITY, direction=Direction.OUT, target=bounded,
                             policy="alert-floor", limits=(*decision.limits, limit))
