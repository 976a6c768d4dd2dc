"""Carrying out alert-driven actions on ESS, exactly once per firing window.

The controller's tick calls :meth:`AlertActuator.tick` once per group: it drains the
group's :class:`AlertIntents` (at most one action), makes at most one
``ExecuteScalingRule`` call with the action's ClientToken, gives the action back to
the queue when the group is busy or the error is retryable, and returns the active
capacity floor for the controller's arbitration (floors never call ESS here: they
bound the controller's own target, like scheduled floors).

- ``execute_rule``: ``ExecuteScalingRule(ScalingRuleAri, ClientToken)``, the rule as it is.
- ``step``: the adjustment (given, or resolved from a step policy by the injected
  ``resolve_step``) lives in a rule the actuator owns per (group, mapping), named
  ``alert-<mapping>-<hash>``; it is created on first use, modified if the adjustment
  changed, then executed with the ClientToken.

Because the token derives from the alert's fingerprint and firing window, a repeated
notification, a second Alertmanager replica or a controller restart between the
call and its answer never creates a second activity: ESS answers the same
ScalingActivityId for the same token.

Example::

    actuator = AlertActuator(client=ess_client)
    result = await actuator.tick(queue, group="web", scaling_group_id="asg-123")
    target = max(target, result.floor or 0)
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from autoscaler.alerting.errors import ActuationError
from autoscaler.alerting.mapping import ActionIntent, ExecuteRuleAction, StepAction
from autoscaler.alerting.queue import AlertSink
from autoscaler.ess import AdjustmentType, EssError, NoChangeError, ScalingActivityInProgressError

__all__ = ["ActionOutcome", "Adjustment", "AlertActuator", "AlertTick", "RuleClient", "StepResolver", "rule_name"]

_LOG = logging.getLogger("autoscaler.alerting.actuator")


@dataclass(frozen=True, kw_only=True, slots=True)
class Adjustment:
    """What a step does: an adjustment type, its value and the optional magnitude."""

    adjustment_type: AdjustmentType
    adjustment_value: int
    min_adjustment_magnitude: int | None = None


StepResolver = Callable[[str, str, int], Adjustment]
"""``(group, policy, step index) -> Adjustment``, supplied by the controller's policies."""


class _Rule(Protocol):
    @property
    def scaling_rule_id(self) -> str: ...
    @property
    def scaling_rule_ari(self) -> str | None: ...
    @property
    def adjustment_type(self) -> str | None: ...
    @property
    def adjustment_value(self) -> int | None: ...
    @property
    def min_adjustment_magnitude(self) -> int | None: ...


class _RuleRef(Protocol):
    @property
    def scaling_rule_ari(self) -> str: ...


class RuleClient(Protocol):
    """The part of :class:`autoscaler.ess.client.EssClient` the actuator uses."""

    async def execute_scaling_rule(self, scaling_rule_ari: str, *, client_token: str | None = None) -> str: ...

    async def describe_scaling_rules(
        self, *, scaling_group_id: str | None = None, rule_ids: Sequence[str] = (), names: Sequence[str] = (),
        aris: Sequence[str] = (),
    ) -> Sequence[_Rule]: ...

    async def create_scaling_rule(
        self, scaling_group_id: str, *, adjustment_type: str, adjustment_value: int,
        name: str | None = None, cooldown: int | None = None, **options: object,
    ) -> _RuleRef: ...

    async def modify_scaling_rule(self, scaling_rule_id: str, **options: object) -> None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionOutcome:
    """What happened to one action. ``requeued`` actions come back at the next tick."""

    intent: ActionIntent
    result: Literal["executed", "no_change", "busy", "failed"]
    activity_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    requeued: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertTick:
    """One tick's alert work for one group: the floor to honour and the action's outcome."""

    group: str
    floor: int | None
    outcome: ActionOutcome | None


def rule_name(mapping: str) -> str:
    """The name of the rule the actuator owns for a step mapping (ESS allows 64 characters)."""
    digest = hashlib.sha256(mapping.encode()).hexdigest()[:8]
    return f"alert-{mapping[:40]}-{digest}"


class AlertActuator:
    """Executes drained alert actions through an ESS client; see the module docstring."""

    def __init__(self, *, client: RuleClient, resolve_step: StepResolver | None = None) -> None:
        self._client = client
        self._resolve_step = resolve_step

    def __repr__(self) -> str:
        return f"AlertActuator(client={type(self._client).__name__})"

    async def tick(self, sink: AlertSink, *, group: str, scaling_group_id: str) -> AlertTick:
        """Drain ``group`` once, carry out its action (at most one ESS execution)."""
        drained = sink.drain(group)
        outcome = None
        if drained.action is not None:
            outcome = await self.execute(drained.action, scaling_group_id=scaling_group_id)
            if outcome.result == "busy" or (outcome.result == "failed" and outcome.requeued):
                sink.requeue(drained.action)
        return AlertTick(group=group, floor=drained.floor, outcome=outcome)

    async def execute(self, intent: ActionIntent, *, scaling_group_id: str) -> ActionOutcome:
        """One ``ExecuteScalingRule`` with the intent's ClientToken; errors become outcomes."""
        try:
            ari = await self._rule_for(intent, scaling_group_id)
            activity = await self._client.execute_scaling_rule(ari, client_token=intent.client_token)
        except NoChangeError:
            return ActionOutcome(intent=intent, result="no_change", error_code="IncorrectCapacity.NoChange")
        except ScalingActivityInProgressError as exc:
            _LOG.info("alert action %s on %s: group busy, retrying next tick", intent.mapping, intent.group)
            return ActionOutcome(intent=intent, result="busy", error_code=exc.code, requeued=True)
        except EssError as exc:
            _LOG.warning("alert action %s on %s failed: %s", intent.mapping, intent.group, exc.code)
            return ActionOutcome(intent=intent, result="failed", error_code=exc.code, error=exc.message,
                                 requeued=exc.retryable)
        except ActuationError as exc:
            _LOG.error("alert action %s on %s cannot be carried out: %s", intent.mapping, intent.group, exc)
            return ActionOutcome(intent=intent, result="failed", error=str(exc))
        _LOG.info("alert action %s on %s executed: activity %s (alert %s, token %s)",
                  intent.mapping, intent.group, activity, intent.alertname, intent.client_token)
        return ActionOutcome(intent=intent, result="executed", activity_id=activity)

    async def _rule_for(self, intent: ActionIntent, scaling_group_id: str) -> str:
        action = intent.action
        if isinstance(action, ExecuteRuleAction):
            return action.scaling_rule_ari
        wanted = self._adjustment(intent, action)
        name = rule_name(intent.mapping)
        [*rules] = await self._client.describe_scaling_rules(scaling_group_id=scaling_group_id, names=[name])
        if not rules:
            options = _magnitude(wanted)
            ref = await self._client.create_scaling_rule(
                scaling_group_id, adjustment_type=wanted.adjustment_type.value,
                adjustment_value=wanted.adjustment_value, name=name, cooldown=None, **options,
            )
            return ref.scaling_rule_ari
        rule = rules[0]
        if (rule.adjustment_type, rule.adjustment_value, rule.min_adjustment_magnitude) != (
            wanted.adjustment_type.value, wanted.adjustment_value, wanted.min_adjustment_magnitude
        ):
            await self._client.modify_scaling_rule(
                rule.scaling_rule_id, AdjustmentType=wanted.adjustment_type.value,
                AdjustmentValue=wanted.adjustment_value, **_magnitude(wanted),
            )
        if not rule.scaling_rule_ari:
            raise ActuationError(f"rule {name}: DescribeScalingRules returned no ScalingRuleAri")
        return rule.scaling_rule_ari

    def _adjustment(self, intent: ActionIntent, action: StepAction) -> Adjustment:
        if action.adjustment_type is not None and action.adjustment_value is not None:
            return Adjustment(adjustment_type=action.adjustment_type, adjustment_value=action.adjustment_value,
                              min_adjustment_magnitude=action.min_adjustment_magnitude)
        if self._resolve_step is None or action.policy is None or action.step is None:
            raise ActuationError(f"mapping {intent.mapping}: a policy step needs a step resolver")
        return self._resolve_step(intent.group, action.policy, action.step)


def _magnitude(adjustment: Adjustment) -> dict[str, object]:
    if adjustment.min_adjustment_magnitude is None:
        return {}
    return {"MinAdjustmentMagnitude": adjustment.min_adjustment_magnitude}
