"""Turning a decision into ESS calls: idempotent, journaled, or not at all (shadow).

A capacity decision is carried out on a TotalCapacity rule the controller owns per
group (``autoscaler-managed``): ``ModifyScalingRule`` sets its value, then
``ExecuteScalingRule`` runs it with a ClientToken derived from (group, policy,
target, evaluation window). The token is fixed before any retry, and the intent is
committed to the state file before the first call, so a retry, a restart after a
SIGKILL, or a second replica in the same window sends the same token, and ESS
answers with the activity it already started instead of a second one. Rules named
by ARI (alarm and scheduled policies) are executed as they are, with a token derived
from (group, policy, rule, fire time).

``IncorrectCapacity.NoChange`` is not an error (the group already has the target);
``ScalingActivityInProgress`` means "not now": the decision is dropped and the next
tick decides again with fresh numbers.

The shadow actuator computes the same outcome without a single write call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from autoscaler.controller.ports import EssApi
from autoscaler.controller.state import ControllerState, Intent
from autoscaler.ess import (
    EssError,
    NoChangeError,
    ScalingActivityInProgressError,
)
from autoscaler.ess.capacity import AdjustmentType
from autoscaler.ess.tokens import client_token
from autoscaler.policy.model import Action, Decision

__all__ = ["MANAGED_RULE_NAME", "Actuator", "EssActuator", "Outcome", "Result", "ShadowActuator"]

log = logging.getLogger("autoscaler.actuator")

MANAGED_RULE_NAME = "autoscaler-managed"


class Result(StrEnum):
    EXECUTED = "executed"
    SHADOW = "shadow"
    SUPPRESSED = "suppressed"
    NO_CHANGE = "no_change"
    BUSY = "busy"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    result: Result
    token: str | None = None
    activity_id: str | None = None
    error: str | None = None


class Actuator(Protocol):
    """Carry out one decision for one group."""

    async def apply(self, group_id: str, decision: Decision, *, window: datetime) -> Outcome: ...


def decision_token(group_id: str, decision: Decision, window: datetime) -> str:
    """The ClientToken of a decision: the same decision in the same window, the same token."""
    if decision.action is Action.EXECUTE_RULE:
        assert decision.execution is not None
        return client_token(group_id, decision.policy or "", "rule", decision.execution.rule_ari,
                            decision.execution.fire_time)
    return client_token(group_id, decision.policy or "", "capacity", decision.target, window)


class ShadowActuator:
    """Shadow mode: every decision is reported, none is sent."""

    async def apply(self, group_id: str, decision: Decision, *, window: datetime) -> Outcome:
        return Outcome(result=Result.SHADOW, token=decision_token(group_id, decision, window))


class EssActuator:
    """Live mode: journal the intent, then Modify/Execute with a deterministic token."""

    def __init__(self, api: EssApi, state: ControllerState, *, rule_cooldown: int | None = 0) -> None:
        self._api = api
        self._state = state
        self._rule_cooldown = rule_cooldown
        self._managed: dict[str, tuple[str, str]] = {}

    async def managed_rule(self, group_id: str) -> tuple[str, str]:
        """(rule id, ARI) of the group's controller-owned TotalCapacity rule, created if missing."""
        if group_id in self._managed:
            return self._managed[group_id]
        rules = await self._api.describe_scaling_rules(scaling_group_id=group_id, names=[MANAGED_RULE_NAME])
        rule = next((r for r in rules if r.scaling_rule_name == MANAGED_RULE_NAME), None)
        if rule is not None and rule.scaling_rule_ari:
            ref = (rule.scaling_rule_id, rule.scaling_rule_ari)
        else:
            created = await self._api.create_scaling_rule(
                group_id, adjustment_type=AdjustmentType.TOTAL.value, adjustment_value=0,
                name=MANAGED_RULE_NAME, cooldown=self._rule_cooldown,
            )
            ref = (created.scaling_rule_id, created.scaling_rule_ari)
        self._managed[group_id] = ref
        return ref

    async def prepare(self, group_ids: Sequence[str], *, concurrency: int = 16) -> None:
        """Find or create every group's managed rule before the first tick (a start with many
        groups would otherwise spend its first interval on rule set-up inside the ticks).
        A group whose rule cannot be prepared now is left to its first tick."""
        gate = asyncio.Semaphore(concurrency)

        async def one(group_id: str) -> None:
            async with gate:
                try:
                    await self.managed_rule(group_id)
                except EssError as exc:
                    log.warning("group %s: managed rule not prepared: %s", group_id, exc.code)

        await asyncio.gather(*(one(g) for g in group_ids))

    async def apply(self, group_id: str, decision: Decision, *, window: datetime) -> Outcome:
        if decision.action is Action.NONE:
            return Outcome(result=Result.SUPPRESSED)
        token = decision_token(group_id, decision, window)
        intent = Intent(
            token=token, group_id=group_id, policy=decision.policy or "", kind=decision.action.value,
            target=decision.target,
            rule_ari=decision.execution.rule_ari if decision.execution else None,
            window_start=window, created_at=decision.now,
        )
        stored = self._state.open_intent(intent)
        if stored.status == "done" and stored.activity_id is not None:
            # Already carried out (a restart inside the same window): nothing to send.
            return Outcome(result=Result.EXECUTED, token=token, activity_id=stored.activity_id)
        return await self.carry_out(stored, now=decision.now)

    async def carry_out(self, intent: Intent, *, now: datetime) -> Outcome:
        """Send the calls of an open intent (also used to finish intents after a restart)."""
        try:
            if intent.kind == Action.EXECUTE_RULE.value:
                assert intent.rule_ari is not None
                ari = intent.rule_ari
            else:
                assert intent.target is not None
                rule_id, ari = await self.managed_rule(intent.group_id)
                await self._api.modify_scaling_rule(
                    rule_id, AdjustmentType=AdjustmentType.TOTAL.value, AdjustmentValue=intent.target
                )
            activity = await self._api.execute_scaling_rule(ari, client_token=intent.token)
        except NoChangeError:
            self._state.finish_intent(intent.token, at=now)
            return Outcome(result=Result.NO_CHANGE, token=intent.token)
        except ScalingActivityInProgressError as exc:
            self._state.finish_intent(intent.token, at=now, error_code=exc.code)
            return Outcome(result=Result.BUSY, token=intent.token, error=exc.code)
        except EssError as exc:
            if not exc.retryable:
                self._state.finish_intent(intent.token, at=now, error_code=exc.code)
            # A retryable error that outlived the client's retries leaves the intent open:
            # the next start finishes it with the same token.
            log.warning("group %s: %s failed: %s", intent.group_id, intent.kind, exc.code)
            return Outcome(result=Result.FAILED, token=intent.token, error=exc.code)
        self._state.finish_intent(intent.token, at=now, activity_id=activity)
        return Outcome(result=Result.EXECUTED, token=intent.token, activity_id=activity)
