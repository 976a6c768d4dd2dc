"""The bounded, coalescing queue between the webhook receiver and the controller.

The receiver *submits* intents (it runs on the HTTP side, as fast as Alertmanager
posts); the controller *drains* one group per tick (:class:`AlertSink`). Between the
two, work is bounded whatever arrives:

- Coalescing: at most one pending action per (group, mapping). A storm of 10,000
  alerts that all map to "execute rule R on group G" leaves one pending action; the
  others are absorbed (their tokens are remembered as handled).
- One call per tick: :meth:`AlertQueue.drain` hands out at most one action per group,
  oldest mapping first, so a tick never makes more than one alert-driven ESS call per
  group; other mappings of the same group wait for the next ticks. After a drain, the
  mapping cools down (``cooldown_seconds``, 300 s by default) for that group: new
  alerts of the mapping are absorbed meanwhile, because ExecuteScalingRule through
  the API bypasses ESS cooldowns. :meth:`AlertQueue.requeue` gives an action back
  when the group was busy.
- Deduplication: every action token and every resolved firing window is remembered
  (bounded LRU with a time to live), so a repeated notification, or the same group
  sent by several Alertmanager replicas, creates nothing new, and a late "firing" from
  a slow replica cannot revive a floor that already resolved. The ClientToken still
  protects ESS after a restart, when this memory is gone.
- Bounds: the number of groups with pending work and of active floors are capped;
  a notification that would exceed them raises :class:`QueueFullError` *before* any
  change, and the receiver answers 503 so that Alertmanager retries later.
- Floors end on ``resolved`` or at ``expires_at`` (startsAt + max duration), checked
  with the injected clock on every drain.

Thread-safe (a lock), because the receiver may run in a server thread while the
controller ticks elsewhere.

Example::

    queue = AlertQueue(clock=SystemClock())
    queue.submit(evaluate(payload.alerts, mappings, clock.now()))
    intents = queue.drain("asg-web")       # in the controller's tick
    if intents.action: ...                 # at most one ESS call
    target = max(target, intents.floor or 0)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from autoscaler.alerting.errors import QueueFullError
from autoscaler.alerting.mapping import ActionIntent, FloorIntent, FloorRelease, Intent
from autoscaler.clock import Clock

__all__ = ["AlertIntents", "AlertQueue", "AlertSink", "IntentSink", "QueueLimits", "SubmitResult"]


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertIntents:
    """What the alerts ask of one group at this tick.

    ``action`` is at most one ESS call; ``floor`` is the highest active capacity floor
    (None when no floor holds); ``pending`` counts actions left for later ticks.
    """

    group: str
    action: ActionIntent | None = None
    floor: int | None = None
    floor_expires_at: datetime | None = None
    pending: int = 0


@runtime_checkable
class AlertSink(Protocol):
    """The controller's side: once per tick and group."""

    def drain(self, group: str) -> AlertIntents:
        """Take at most one pending action for ``group`` and report its active floor."""
        ...

    def requeue(self, action: ActionIntent) -> None:
        """Hand ``action`` out again at the next drain (it could not be carried out now)."""
        ...


@runtime_checkable
class IntentSink(Protocol):
    """The receiver's side."""

    def submit(self, intents: Sequence[Intent]) -> SubmitResult:
        """Accept ``intents`` atomically, or raise :class:`QueueFullError` changing nothing."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueLimits:
    """Bounds of the queue; defaults sized for a large fleet, not for one host's memory.

    ``max_groups``: groups with pending actions or floors (ESS allows 20 groups per
    account by default; 1,000 leaves room for raised quotas). ``max_floors``: active
    (group, mapping, alert) floors. ``seen_capacity`` / ``seen_ttl``: remembered tokens
    and resolved windows; a day outlives Alertmanager's usual repeat_interval (4 h).
    """

    max_groups: int = 1000
    max_floors: int = 50_000
    seen_capacity: int = 200_000
    seen_ttl: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        for name in ("max_groups", "max_floors", "seen_capacity"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1")
        if self.seen_ttl <= timedelta(0):
            raise ValueError("seen_ttl: must be positive")


@dataclass(frozen=True, kw_only=True, slots=True)
class SubmitResult:
    """Counts of what a submission did (for the response body and the logs)."""

    queued: int = 0
    duplicates: int = 0
    coalesced: int = 0
    floors_set: int = 0
    floors_released: int = 0
    ignored: int = 0


@dataclass(kw_only=True, slots=True)
class _Floor:
    min_capacity: int
    starts_at: datetime
    expires_at: datetime


@dataclass(kw_only=True, slots=True)
class _Counts:
    queued: int = 0
    duplicates: int = 0
    coalesced: int = 0
    floors_set: int = 0
    floors_released: int = 0
    ignored: int = 0


_FloorKey = tuple[str, str]  # (mapping, fingerprint) within a group


@dataclass(kw_only=True, slots=True)
class _State:
    pending: dict[str, OrderedDict[str, ActionIntent]] = field(default_factory=dict)
    floors: dict[str, dict[_FloorKey, _Floor]] = field(default_factory=dict)
    seen: OrderedDict[str, datetime] = field(default_factory=OrderedDict)
    floor_count: int = 0
    # (group, mapping) -> end of the mapping's cooldown after its last drained action
    cooling: dict[tuple[str, str], datetime] = field(default_factory=dict)


def _window(group: str, mapping: str, fingerprint: str, starts_at: datetime) -> str:
    return f"resolved\x1f{group}\x1f{mapping}\x1f{fingerprint.lower()}\x1f{starts_at.isoformat()}"


class AlertQueue:
    """The bounded, coalescing intent queue; implements :class:`AlertSink` and :class:`IntentSink`."""

    def __init__(
        self,
        *,
        clock: Clock,
        limits: QueueLimits | None = None,
        known_groups: Collection[str] | None = None,
    ) -> None:
        self._clock = clock
        self._limits = limits or QueueLimits()
        self._known = frozenset(known_groups) if known_groups is not None else None
        self._state = _State()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AlertQueue(groups={len(self._state.pending)}, floors={self._state.floor_count})"

    # --- receiver side ---------------------------------------------------------------

    def submit(self, intents: Sequence[Intent]) -> SubmitResult:
        with self._lock:
            now = self._clock.now()
            relevant = [i for i in intents if self._known is None or i.group in self._known]
            self._check_capacity(relevant, now)
            counts = _Counts(ignored=len(intents) - len(relevant))
            for intent in relevant:
                if isinstance(intent, ActionIntent):
                    self._add_action(intent, now, counts)
                elif isinstance(intent, FloorIntent):
                    self._add_floor(intent, counts)
                else:
                    self._release_floor(intent, now, counts)
            self._prune_empty()
            return SubmitResult(
                queued=counts.queued,
                duplicates=counts.duplicates,
                coalesced=counts.coalesced,
                floors_set=counts.floors_set,
                floors_released=counts.floors_released,
                ignored=counts.ignored,
            )

    def _check_capacity(self, intents: Sequence[Intent], now: datetime) -> None:
        state = self._state
        new_groups = {i.group for i in intents if not isinstance(i, FloorRelease)}
        new_groups -= state.pending.keys() | state.floors.keys()
        new_floors = sum(1 for i in intents if isinstance(i, FloorIntent))
        groups = len(state.pending.keys() | state.floors.keys())
        if groups + len(new_groups) <= self._limits.max_groups and (
            state.floor_count + new_floors <= self._limits.max_floors
        ):
            return
        self._expire_all(now)  # only pay for a full sweep when near a bound
        groups = len(state.pending.keys() | state.floors.keys())
        if groups + len(new_groups) > self._limits.max_groups:
            raise QueueFullError(f"groups: more than {self._limits.max_groups} groups with pending alert work")
        if state.floor_count + new_floors > self._limits.max_floors:
            raise QueueFullError(f"floors: more than {self._limits.max_floors} active alert floors")

    def _remember(self, key: str, now: datetime) -> bool:
        """Record ``key``; False if it was already there (and still fresh)."""
        seen = self._state.seen
        expiry = seen.get(key)
        if expiry is not None and expiry > now:
            return False
        seen[key] = now + self._limits.seen_ttl
        seen.move_to_end(key)
        while seen:
            oldest, oldest_expiry = next(iter(seen.items()))
            if len(seen) <= self._limits.seen_capacity and oldest_expiry > now:
                break
            del seen[oldest]
        return True

    def _add_action(self, intent: ActionIntent, now: datetime, counts: _Counts) -> None:
        if not self._remember(f"token\x1f{intent.client_token}", now):
            counts.duplicates += 1
            return
        pending = self._state.pending.setdefault(intent.group, OrderedDict())
        cooling_until = self._state.cooling.get((intent.group, intent.mapping))
        if intent.mapping in pending or (cooling_until is not None and now < cooling_until):
            counts.coalesced += 1
            return
        pending[intent.mapping] = intent
        counts.queued += 1

    def _add_floor(self, intent: FloorIntent, counts: _Counts) -> None:
        window = _window(intent.group, intent.mapping, intent.fingerprint, intent.starts_at)
        if window in self._state.seen:
            counts.duplicates += 1  # a late "firing" for a window that already resolved
            return
        floors = self._state.floors.setdefault(intent.group, {})
        key = (intent.mapping, intent.fingerprint.lower())
        current = floors.get(key)
        if current is not None and current.starts_at >= intent.starts_at:
            counts.duplicates += 1
            return
        if current is None:
            self._state.floor_count += 1
        floors[key] = _Floor(min_capacity=intent.min_capacity, starts_at=intent.starts_at, expires_at=intent.expires_at)
        counts.floors_set += 1

    def _release_floor(self, intent: FloorRelease, now: datetime, counts: _Counts) -> None:
        self._remember(_window(intent.group, intent.mapping, intent.fingerprint, intent.starts_at), now)
        floors = self._state.floors.get(intent.group, {})
        key = (intent.mapping, intent.fingerprint.lower())
        current = floors.get(key)
        if current is None or current.starts_at > intent.starts_at:
            return  # nothing held, or a newer firing window holds it
        del floors[key]
        self._state.floor_count -= 1
        counts.floors_released += 1

    # --- controller side -------------------------------------------------------------

    def drain(self, group: str) -> AlertIntents:
        with self._lock:
            now = self._clock.now()
            self._expire_group(group, now)
            pending = self._state.pending.get(group)
            action = pending.popitem(last=False)[1] if pending else None
            if action is not None and action.cooldown > timedelta(0):
                self._state.cooling[(group, action.mapping)] = now + action.cooldown
            floors = list(self._state.floors.get(group, {}).values())
            self._prune_empty()
            if not floors:
                return AlertIntents(group=group, action=action, pending=len(pending or ()))
            top = max(f.min_capacity for f in floors)
            until = max(f.expires_at for f in floors if f.min_capacity == top)
            return AlertIntents(
                group=group, action=action, floor=top, floor_expires_at=until, pending=len(pending or ())
            )

    def requeue(self, action: ActionIntent) -> None:
        """Give back an action the controller could not carry out this tick.

        For ``ScalingActivityInProgress`` or a retryable error: the action (same
        ClientToken) is handed out first at the next drain of its group, and the
        mapping's cooldown, which started at the drain, is lifted. If the slot was
        taken meanwhile, the newer action stays and this one is dropped.
        """
        with self._lock:
            self._state.cooling.pop((action.group, action.mapping), None)
            pending = self._state.pending.setdefault(action.group, OrderedDict())
            if action.mapping not in pending:
                pending[action.mapping] = action
                pending.move_to_end(action.mapping, last=False)

    def active_floors(self) -> dict[str, int]:
        """The highest active floor of every group that has one."""
        with self._lock:
            self._expire_all(self._clock.now())
            self._prune_empty()
            return {g: max(f.min_capacity for f in fl.values()) for g, fl in self._state.floors.items() if fl}

    def pending_groups(self) -> frozenset[str]:
        """Groups with pending actions (so a controller can drain groups it learns from alerts)."""
        with self._lock:
            return frozenset(g for g, p in self._state.pending.items() if p)

    # --- housekeeping ----------------------------------------------------------------

    def _expire_group(self, group: str, now: datetime) -> None:
        floors = self._state.floors.get(group)
        if not floors:
            return
        for key in [k for k, f in floors.items() if f.expires_at <= now]:
            del floors[key]
            self._state.floor_count -= 1

    def _expire_all(self, now: datetime) -> None:
        for group in list(self._state.floors):
            self._expire_group(group, now)

    def _prune_empty(self) -> None:
        state = self._state
        if len(state.cooling) > 4 * self._limits.max_groups:
            now = self._clock.now()
            for key in [k for k, until in state.cooling.items() if until <= now]:
                del state.cooling[key]
        for group in [g for g, p in state.pending.items() if not p]:
            del state.pending[group]
        for group in [g for g, f in state.floors.items() if not f]:
            del state.floors[group]
