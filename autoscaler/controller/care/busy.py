"""Busy protection: busy instances are protected from scale-in, idle ones are not.

A per-instance metric (a vector by instance id, e.g. the jobs in progress on each
worker, read through the :class:`~autoscaler.controller.tick.MetricRouter`) marks an
instance busy when its value is above ``busy_above``. Busy instances get
``SetInstancesProtection`` (ProtectedFromScaleIn=true), which ESS honours by never
choosing them in a scale-in; an instance loses its protection only after
``idle_ticks`` consecutive ticks at or below ``idle_at_or_below``. That hysteresis
(two thresholds and a count) keeps a flapping metric from causing a call storm: a
worker that goes idle for one tick between two jobs keeps its protection.

Calls go out in batches of at most 20 instance ids (the documented limit of
``InstanceId.N``). A missing, stale or failed metric changes nothing: a protection is
never lifted on a reading the controller cannot trust, and an instance absent from
the vector keeps its state. Standby instances are left alone (maintenance owns them).

The idle counters live in memory: after a restart they start again at zero, which
only delays an unprotection by ``idle_ticks`` ticks (the safe direction).

With busy protection on, the step owns the protection flag of the group's instances:
an instance protected by hand whose metric says idle loses its protection.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from autoscaler.controller.care._model import CareAction, CareApi, CareReport, CareView, MetricReader
from autoscaler.ess import EssError
from autoscaler.metrics import SampleStatus
from autoscaler.policy.model import MetricRef

__all__ = ["BATCH", "BusyProtection", "BusySettings", "batches", "plan_protection"]

log = logging.getLogger("autoscaler.care")

BATCH = 20
"""Most instance ids per SetInstancesProtection call (``InstanceId.N``, N up to 20)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BusySettings:
    """Thresholds of busy protection (see the module docstring)."""

    metric: MetricRef
    busy_above: float = 0.0
    idle_at_or_below: float = 0.0
    idle_ticks: int = 3

    def __post_init__(self) -> None:
        if self.idle_at_or_below > self.busy_above:
            raise ValueError("idle_at_or_below: must be <= busy_above")
        if self.idle_ticks < 1:
            raise ValueError(f"idle_ticks: must be >= 1 (got {self.idle_ticks})")


def batches(ids: Sequence[str], size: int = BATCH) -> list[tuple[str, ...]]:
    """``ids`` in sorted chunks of at most ``size``."""
    ordered = sorted(ids)
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def plan_protection(
    settings: BusySettings, *, protected: set[str], unprotected: set[str], values: dict[str, float],
    idle_counts: dict[str, int],
) -> tuple[list[str], list[str], dict[str, int]]:
    """(to protect, to unprotect, next idle counts): the hysteresis, as a pure function.

    ``protected`` and ``unprotected`` are the instances eligible now (InService or
    Protected); ``values`` the metric by instance (absent: unknown, no change).
    """
    protect: list[str] = []
    unprotect: list[str] = []
    counts: dict[str, int] = {}
    for iid in sorted(unprotected):
        value = values.get(iid)
        if value is not None and value > settings.busy_above:
            protect.append(iid)
    for iid in sorted(protected):
        value = values.get(iid)
        if value is None:
            counts[iid] = idle_counts.get(iid, 0)
        elif value <= settings.idle_at_or_below:
            counts[iid] = idle_counts.get(iid, 0) + 1
            if counts[iid] >= settings.idle_ticks:
                unprotect.append(iid)
                del counts[iid]
        # between the thresholds, or busy: the count starts again
    return protect, unprotect, counts


class BusyProtection:
    """The busy-protection step of one group (a :class:`~._model.CareStep`)."""

    name = "busy"

    def __init__(self, settings: BusySettings, *, api: CareApi, metrics: MetricReader, shadow: bool) -> None:
        self._settings = settings
        self._api = api
        self._metrics = metrics
        self._shadow = shadow
        self._idle: dict[str, int] = {}

    async def apply(self, view: CareView, now: datetime) -> CareReport:
        states = {i.instance_id: i.lifecycle_state for i in view.instances}
        protected = {i for i, s in states.items() if s == "Protected"}
        unprotected = {i for i, s in states.items() if s == "InService"}
        standby = sum(1 for s in states.values() if s == "Standby")
        sample = (await self._metrics.read([self._settings.metric], now=now))[self._settings.metric]
        if sample.status is not SampleStatus.OK or not sample.per_instance:
            reason = sample.reason or "the metric has no per-instance values"
            action = CareAction(step=self.name, action="hold", result="skipped",
                                reason=f"{self._settings.metric}: {sample.status.value}: {reason}")
            return CareReport(actions=(action,), protected=len(protected), keep=len(protected) + standby)
        values = {k: float(v) for k, v in sample.per_instance.items()}
        protect, unprotect, self._idle = plan_protection(
            self._settings, protected=protected, unprotected=unprotected, values=values, idle_counts=self._idle)
        actions: list[CareAction] = []
        now_protected = set(protected)
        for flag, ids in ((True, protect), (False, unprotect)):
            for batch in batches(ids):
                action = await self._set(view.group_id, batch, flag, values)
                actions.append(action)
                if action.result == "executed":
                    now_protected = now_protected | set(batch) if flag else now_protected - set(batch)
        shown = len(now_protected)
        if self._shadow:  # the group did not change; report what it would look like
            shown = len((protected | set(protect)) - set(unprotect))
        return CareReport(actions=tuple(actions), protected=shown, keep=max(shown, len(now_protected)) + standby)

    async def _set(self, group_id: str, batch: tuple[str, ...], flag: bool, values: dict[str, float]) -> CareAction:
        verb = "protect" if flag else "unprotect"
        shown = ", ".join(f"{i}={values[i]:g}" for i in batch)
        reason = (f"busy: {self._settings.metric} > {self._settings.busy_above:g} ({shown})" if flag else
                  f"idle for {self._settings.idle_ticks} ticks: <= {self._settings.idle_at_or_below:g} ({shown})")
        if self._shadow:
            log.info("group %s: would %s %s (shadow): %s", group_id, verb, ",".join(batch), reason)
            return CareAction(step=self.name, action=verb, instance_ids=batch, result="shadow", reason=reason)
        try:
            await self._api.set_instances_protection(group_id, batch, protected=flag)
        except EssError as exc:
            log.warning("group %s: SetInstancesProtection(%s) of %s failed: %s", group_id, flag, ",".join(batch),
                        exc.code)
            if not flag:  # try again at the next tick, not after another idle_ticks
                for iid in batch:
                    self._idle[iid] = self._settings.idle_ticks
            return CareAction(step=self.name, action=verb, instance_ids=batch, result="failed",
                              reason=f"{exc.code}: {reason}")
        log.info("group %s: %s %s: %s", group_id, verb, ",".join(batch), reason)
        return CareAction(step=self.name, action=verb, instance_ids=batch, result="executed", reason=reason)
