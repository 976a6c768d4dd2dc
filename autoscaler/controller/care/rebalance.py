"""Zone balance: RebalanceInstances for a MultiAZPolicy BALANCE group whose zones drifted.

A BALANCE group spreads its launches evenly, but removals, attached instances and
stock shortages leave zones uneven. The reference (RebalanceInstances, seed 000)
allows a rebalance "only when the distribution is severely imbalanced" without a
number; ess-local, and this step, call it severe when the fullest and the emptiest
zone differ by more than one instance (``largest - smallest > 1``). One activity
launches replacements in the emptier zones first, then removes as many instances
from the fuller ones (at most 20 per activity).

The step reports the imbalance (``autoscaler_zone_imbalance``) at every tick, and
calls RebalanceInstances only when: the group is Active with MultiAZPolicy BALANCE,
no scaling activity is in progress (ESS would answer ScalingActivityInProgress), no
instance is joining or leaving, and ``min_interval`` has passed since the last call
(a mark in the state file, so a restart does not call again). An ``OperationDenied``
answer (ESS judged the group balanced enough) also starts the interval, so a group
whose imbalance ESS will not fix is not asked again every tick.

Zones with no instance are invisible in DescribeScalingInstances; list the group's
zones in ``zones`` so that an empty zone counts (else only occupied zones do).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from autoscaler.controller.care._model import CareAction, CareApi, CareReport, CareView
from autoscaler.controller.care_state import CareStateStore
from autoscaler.ess import EssError

__all__ = ["Rebalance", "RebalanceSettings", "zone_imbalance"]

log = logging.getLogger("autoscaler.care")

_MARK = "rebalance"
_SETTLED = ("InService", "Protected", "Standby")


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceSettings:
    """How zone balance runs for one group (docs/instance-care.md)."""

    min_interval: timedelta = timedelta(seconds=600)
    zones: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_interval < timedelta(0):
            raise ValueError("min_interval: must be >= 0")


def zone_imbalance(zones: Iterable[str | None], known: Iterable[str] = ()) -> int:
    """Largest minus smallest instance count over the zones (known zones count when empty)."""
    counts = Counter(z for z in zones if z)
    for zone in known:
        counts.setdefault(zone, 0)
    if len(counts) < 2:
        return 0
    return max(counts.values()) - min(counts.values())


class Rebalance:
    """The zone-balance step of one group (a :class:`~._model.CareStep`)."""

    name = "rebalance"

    def __init__(self, settings: RebalanceSettings, *, api: CareApi, store: CareStateStore, shadow: bool) -> None:
        self._settings = settings
        self._api = api
        self._store = store
        self._shadow = shadow
        self._shadow_mark: datetime | None = None

    def _why_not(self, view: CareView, imbalance: int, now: datetime) -> str | None:
        group = view.view.group
        if (group.multi_az_policy or "").upper() != "BALANCE":
            return f"MultiAZPolicy is {group.multi_az_policy or 'not set'}, not BALANCE"
        if imbalance <= 1:
            return f"zones differ by {imbalance} (balanced)"
        if group.lifecycle_state != "Active":
            return f"the group is {group.lifecycle_state}"
        if view.view.activity_in_progress:
            return "a scaling activity is in progress"
        moving = [i.instance_id for i in view.instances if i.lifecycle_state not in _SETTLED]
        if moving:
            return f"{len(moving)} instances are joining or leaving"
        last = self._shadow_mark if self._shadow else self._store.last_mark(view.group_id, _MARK)
        if last is not None and now < last + self._settings.min_interval:
            return f"last rebalance at {last.isoformat()}, min interval {self._settings.min_interval}"
        return None

    async def apply(self, view: CareView, now: datetime) -> CareReport:
        imbalance = zone_imbalance((i.zone_id for i in view.instances), self._settings.zones)
        reason = self._why_not(view, imbalance, now)
        if reason is not None:
            if imbalance > 1:
                log.debug("group %s: zones differ by %d, no rebalance: %s", view.name, imbalance, reason)
            return CareReport(zone_imbalance=imbalance)
        why = f"zones differ by {imbalance} (> 1)"
        if self._shadow:
            self._shadow_mark = now
            log.info("group %s: would rebalance (shadow): %s", view.name, why)
            action = CareAction(step=self.name, action="rebalance", result="shadow", reason=why)
            return CareReport(actions=(action,), zone_imbalance=imbalance)
        self._store.mark(view.group_id, _MARK, now)  # before the call: a restart waits the interval
        try:
            activity = await self._api.rebalance_instances(view.group_id)
        except EssError as exc:
            log.warning("group %s: RebalanceInstances: %s (%s)", view.name, exc.code, why)
            action = CareAction(step=self.name, action="rebalance", result="failed", reason=f"{exc.code}: {why}")
            return CareReport(actions=(action,), zone_imbalance=imbalance)
        log.info("group %s: rebalance started (%s): %s", view.name, activity, why)
        action = CareAction(step=self.name, action="rebalance", result="executed", reason=f"{why}; {activity}")
        return CareReport(actions=(action,), zone_imbalance=imbalance, activity_started=True)
