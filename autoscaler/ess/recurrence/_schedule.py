"""When an ESS scheduled task fires: LaunchTime plus an optional recurrence.

A :class:`Schedule` is the frozen, validated value behind CreateScheduledTask's
LaunchTime, RecurrenceType, RecurrenceValue and RecurrenceEndTime. The emulator asks
it for the next fire time to queue an event, the controller and replays ask it to
predict what a task will do; both get the same answer.

Semantics (the reference, and our reading where it is silent; see
docs/emulator-fidelity.md):

- Without a recurrence the task fires once, at LaunchTime.
- ``Daily`` N: every N days (N in 1-31) from LaunchTime, at LaunchTime's time of day.
- ``Weekly`` "0,3": on those weekdays (Sunday 0 ... Saturday 6) at LaunchTime's time
  of day, from LaunchTime's date on.
- ``Monthly`` "A-B": on days A to B of each month (1 <= A < B <= 31; a day a month
  lacks is skipped) at LaunchTime's time of day.
- ``Cron``: every minute the five-field UTC expression matches (see ``_cron``).
- A recurrence never fires before LaunchTime and fires *at* RecurrenceEndTime when
  that minute is a fire time (the end is inclusive).

Example::

    >>> s = Schedule(launch_time=datetime(2024, 1, 1, 9, 0, tzinfo=UTC),
    ...              recurrence_type=RecurrenceType.WEEKLY, recurrence_value="1,5",
    ...              recurrence_end_time=datetime(2024, 2, 1, tzinfo=UTC))
    >>> s.next_after(datetime(2024, 1, 1, 9, 0, tzinfo=UTC)).isoformat()
    '2024-01-05T09:00:00+00:00'
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from autoscaler.ess.recurrence._cron import CronExpression, parse_cron
from autoscaler.ess.recurrence._errors import RecurrenceError
from autoscaler.ess.recurrence._wire import format_wire_minute

__all__ = ["Recurrence", "RecurrenceType", "Schedule"]

_ONE_MINUTE = timedelta(minutes=1)
_RECURRENCE_FIELDS = ("RecurrenceType", "RecurrenceValue", "RecurrenceEndTime")


class RecurrenceType(StrEnum):
    """The documented RecurrenceType values (case-sensitive on the wire)."""

    DAILY = "Daily"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"
    CRON = "Cron"


@runtime_checkable
class Recurrence(Protocol):
    """Anything that answers "when next, strictly after ``t``?" (None: never again)."""

    def next_after(self, t: datetime) -> datetime | None: ...


def _aware(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise RecurrenceError(name, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise RecurrenceError(name, f"naive datetime {value.isoformat()} (a timezone is required)")
    utc = value.astimezone(UTC)
    if utc.second or utc.microsecond:
        raise RecurrenceError(name, f"{utc.isoformat()} is not on a whole minute (the wire format has minutes)")
    return utc


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise RecurrenceError(name, f"naive datetime {value.isoformat()} (a timezone is required)")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class _Daily:
    period: timedelta

    def first_after(self, after: datetime, launch: datetime, until: datetime) -> datetime | None:
        if after < launch:
            return launch
        steps = (after - launch) // self.period + 1
        return launch + steps * self.period


@dataclass(frozen=True, slots=True)
class _Weekly:
    weekdays: frozenset[int]  # Sunday 0

    def first_after(self, after: datetime, launch: datetime, until: datetime) -> datetime | None:
        day = max(after, launch - _ONE_MINUTE).replace(hour=launch.hour, minute=launch.minute, second=0,
                                                      microsecond=0)
        for _ in range(8):
            if day > after and day >= launch and (day.weekday() + 1) % 7 in self.weekdays:
                return day
            day += timedelta(days=1)
        raise AssertionError("a non-empty weekday set matches within eight days")


@dataclass(frozen=True, slots=True)
class _Monthly:
    first: int
    last: int

    def first_after(self, after: datetime, launch: datetime, until: datetime) -> datetime | None:
        floor = max(after, launch - _ONE_MINUTE)
        year, month = floor.year, floor.month
        for _ in range(3):  # A <= 30, so at most February is skipped
            days_in_month = calendar.monthrange(year, month)[1]
            for day in range(self.first, min(self.last, days_in_month) + 1):
                fire = datetime(year, month, day, launch.hour, launch.minute, tzinfo=UTC)
                if fire > floor:
                    return fire
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        raise AssertionError("a day range within 1-31 matches within three months")


@dataclass(frozen=True, slots=True)
class _Cron:
    expression: CronExpression

    def first_after(self, after: datetime, launch: datetime, until: datetime) -> datetime | None:
        return self.expression.next_after(max(after, launch - _ONE_MINUTE), until=until)


_Rule = _Daily | _Weekly | _Monthly | _Cron

_DIGITS = re.compile(r"[0-9]{1,2}")
_WEEKLY = re.compile(r"[0-6](,[0-6])*")
_MONTHLY = re.compile(r"([0-9]{1,2})-([0-9]{1,2})")


def _rule(kind: RecurrenceType, value: str) -> _Rule:
    name = "RecurrenceValue"
    if not isinstance(value, str):
        raise RecurrenceError(name, f"expected a string, got {type(value).__name__}")
    if kind is RecurrenceType.DAILY:
        if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= 31:
            raise RecurrenceError(name, f"Daily takes one number of days in 1-31, got {value!r}")
        return _Daily(timedelta(days=int(value)))
    if kind is RecurrenceType.WEEKLY:
        if not _WEEKLY.fullmatch(value):
            raise RecurrenceError(name, f"Weekly takes weekdays 0-6 (Sunday 0) separated by commas, got {value!r}")
        return _Weekly(frozenset(int(v) for v in value.split(",")))
    if kind is RecurrenceType.MONTHLY:
        match = _MONTHLY.fullmatch(value)
        if not match or not 1 <= int(match.group(1)) < int(match.group(2)) <= 31:
            raise RecurrenceError(name, f"Monthly takes 'A-B' with 1 <= A < B <= 31, got {value!r}")
        return _Monthly(int(match.group(1)), int(match.group(2)))
    try:
        return _Cron(parse_cron(value))
    except RecurrenceError as exc:
        raise RecurrenceError(name, f"Cron {exc}") from exc


# --------------------------------------------------------------------------- the value object


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """LaunchTime and an optional recurrence; times are aware UTC on whole minutes.

    The three recurrence fields are given together or not at all (the reference:
    "RecurrenceType, RecurrenceValue and RecurrenceEndTime must be specified").
    """

    launch_time: datetime
    recurrence_type: RecurrenceType | None = None
    recurrence_value: str | None = None
    recurrence_end_time: datetime | None = None
    _rule: _Rule | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "launch_time", _aware(self.launch_time, "LaunchTime"))
        kind, value, end = self.recurrence_type, self.recurrence_value, self.recurrence_end_time
        if kind is None and value is None and end is None:
            return
        if kind is None or value is None or end is None:
            missing = [n for n, p in zip(_RECURRENCE_FIELDS, (kind, value, end), strict=True) if p is None]
            raise RecurrenceError(missing[0], "RecurrenceType, RecurrenceValue and RecurrenceEndTime go together")
        try:
            kind = RecurrenceType(kind)
        except ValueError as exc:
            allowed = ", ".join(t.value for t in RecurrenceType)
            raise RecurrenceError("RecurrenceType", f"{kind!r} is not one of {allowed}") from exc
        end = _aware(end, "RecurrenceEndTime")
        if end < self.launch_time:
            raise RecurrenceError("RecurrenceEndTime", f"{end.isoformat()} is before LaunchTime")
        object.__setattr__(self, "recurrence_type", kind)
        object.__setattr__(self, "recurrence_end_time", end)
        object.__setattr__(self, "_rule", _rule(kind, value))

    @property
    def recurring(self) -> bool:
        return self._rule is not None

    def next_after(self, t: datetime, *, until: datetime | None = None) -> datetime | None:
        """The first fire time strictly after ``t`` (and not after ``until``), or None."""
        t = _utc(t, "t")
        end = self.recurrence_end_time
        if until is not None and (end is None or until < end):
            end = _utc(until, "until")
        if self._rule is None:
            fire: datetime | None = self.launch_time
        else:
            assert end is not None
            fire = self._rule.first_after(t, self.launch_time, end)
        if fire is None or fire <= t or (end is not None and fire > end):
            return None
        return fire

    def fires_between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Fire times ``f`` with ``start < f <= end``, in order."""
        t = start
        while (fire := self.next_after(t, until=end)) is not None:
            yield fire
            t = fire

    def to_wire(self) -> dict[str, str]:
        """The four request/response fields, in ESS wire format (absent ones left out)."""
        wire = {"LaunchTime": format_wire_minute(self.launch_time)}
        if self.recurrence_type is not None:
            wire["RecurrenceType"] = self.recurrence_type.value
        if self.recurrence_value is not None:
            wire["RecurrenceValue"] = self.recurrence_value
        if self.recurrence_end_time is not None:
            wire["RecurrenceEndTime"] = format_wire_minute(self.recurrence_end_time)
        return wire
