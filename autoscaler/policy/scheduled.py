"""Scheduled policies: ESS recurrences that execute a rule or hold a floor and a cap.

The fire times come from the ESS recurrence engine
(:class:`autoscaler.ess.recurrence.Schedule`: LaunchTime, RecurrenceType Daily /
Weekly / Monthly / Cron, RecurrenceValue, RecurrenceEndTime), the same one the
emulator uses for scheduled tasks, so a policy file and an ESS scheduled task with
the same fields fire at the same minutes.

Two shapes:

- **Rule**: at each fire time execute the rule named by ARI. If the group is busy
  the execution is retried at the next ticks within LaunchExpirationTime (default
  600 s, inclusive) after the fire time, then abandoned, as ESS does; when several
  are due the earliest fire time goes first.
- **Window**: from each fire time and for ``duration``, hold the group's total
  between ``floor`` and ``cap`` (the office-hours case). Outside the window the
  policy has no opinion.

The memory keeps the next fire time, so a tick asks the recurrence engine for a
new fire time only when one has passed (cheap enough for a month of minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from autoscaler.ess.recurrence import Schedule
from autoscaler.policy.model import (
    GroupSnapshot,
    Limit,
    LimitKind,
    PolicyKind,
    PolicyMemory,
    Proposal,
    RuleExecution,
)

__all__ = ["ScheduledPolicy"]

_MAX_CATCH_UP = 10_000
"""Bound on fire times skipped in one tick (a cron firing every minute over a long gap)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledPolicy:
    """Example (weekday office hours, 08:00 to 18:00 UTC, at least 10 instances)::

    ScheduledPolicy(name="office-hours",
                    schedule=Schedule(launch_time=datetime(2024, 1, 1, 8, tzinfo=UTC),
                                      recurrence_type=RecurrenceType.WEEKLY, recurrence_value="1,2,3,4,5",
                                      recurrence_end_time=datetime(2024, 3, 31, tzinfo=UTC)),
                    window=timedelta(hours=10), floor=10)
    """

    name: str
    schedule: Schedule
    rule_ari: str | None = None
    launch_expiration: timedelta = timedelta(seconds=600)
    window: timedelta | None = None
    floor: int | None = None
    cap: int | None = None

    def __post_init__(self) -> None:
        if (self.rule_ari is None) == (self.window is None):
            raise ValueError(f"policy {self.name}: give either a rule ARI or a window, not both")
        if self.window is not None and self.floor is None and self.cap is None:
            raise ValueError(f"policy {self.name}: a window needs a floor, a cap or both")
        if self.floor is not None and self.cap is not None and self.floor > self.cap:
            raise ValueError(f"policy {self.name}: floor {self.floor} is above cap {self.cap}")

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        if self.window is not None:
            return self._window(snapshot, memory, self.window)
        return self._rule(snapshot, memory)

    # ------------------------------------------------------------------ rule shape

    def _rule(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        now = snapshot.now
        if memory.observing_since is None:
            start = now - self.launch_expiration - timedelta(microseconds=1)
            memory = memory.evolve(observing_since=now, next_fire=self.schedule.next_after(start))
        fire = memory.next_fire
        limits: list[Limit] = []
        for _ in range(_MAX_CATCH_UP):
            if fire is None or fire > now or now - fire <= self.launch_expiration:
                break
            limits.append(Limit(LimitKind.EXPIRED, f"fire time {fire.isoformat()} missed its LaunchExpirationTime"))
            memory = memory.evolve(handled_fire=fire)
            fire = self.schedule.next_after(max(fire, now - self.launch_expiration - timedelta(microseconds=1)))
        memory = memory.evolve(next_fire=fire)
        if fire is None or fire > now:
            when = "never again" if fire is None else f"next at {fire.isoformat()}"
            return self._proposal(memory, f"rule {self.rule_ari}: {when}", limits)
        assert self.rule_ari is not None
        acted = memory.evolve(handled_fire=fire, next_fire=self.schedule.next_after(fire))
        execution = RuleExecution(rule_ari=self.rule_ari, fire_time=fire, cooldown=None)
        formula = f"fired at {fire.isoformat()}: execute {self.rule_ari}"
        return Proposal(policy=self.name, kind=PolicyKind.SCHEDULED, memory=memory, execute=execution,
                        formula=formula, limits=tuple(limits), acted_memory=acted)

    # ------------------------------------------------------------------ window shape

    def _window(self, snapshot: GroupSnapshot, memory: PolicyMemory, window: timedelta) -> Proposal:
        now = snapshot.now
        if memory.observing_since is None:
            last: datetime | None = None
            for fire in self.schedule.fires_between(now - window, now):
                last = fire
            memory = memory.evolve(observing_since=now, handled_fire=last, next_fire=self.schedule.next_after(now))
        start, upcoming = memory.handled_fire, memory.next_fire
        for _ in range(_MAX_CATCH_UP):
            if upcoming is None or upcoming > now:
                break
            start, upcoming = upcoming, self.schedule.next_after(upcoming)
        if start != memory.handled_fire or upcoming != memory.next_fire:
            memory = memory.evolve(handled_fire=start, next_fire=upcoming)
        if start is None or now >= start + window:
            return self._proposal(memory, f"outside the window (next from {_iso(upcoming)})", [])
        bounds = f"floor {self.floor}, cap {self.cap}"
        formula = f"window {start.isoformat()} to {(start + window).isoformat()}: {bounds}"
        return Proposal(policy=self.name, kind=PolicyKind.SCHEDULED, memory=memory, floor=self.floor,
                        cap=self.cap, formula=formula)

    def _proposal(self, memory: PolicyMemory, formula: str, limits: list[Limit]) -> Proposal:
        return Proposal(policy=self.name, kind=PolicyKind.SCHEDULED, memory=memory, formula=formula,
                        limits=tuple(limits))


def _iso(value: datetime | None) -> str:
    return "never" if value is None else value.isoformat()
