"""The ESS edge of the recurrence engine: request fields in, documented errors out.

CreateScheduledTask and ModifyScheduledTask carry the schedule as wire strings.
This module turns them into a :class:`Schedule`, enforces the limits that need
"now" (LaunchTime and RecurrenceEndTime at most 90 days after the creation or
modification) and LaunchExpirationTime's range, and translates every
:class:`RecurrenceError` into the documented error (``MissingParameter`` or
``InvalidParameter`` naming the field) once, with ``raise ... from``.

Example::

    >>> s = schedule_from_request(launch_time="2024-01-01T09:00Z", recurrence_type="Cron",
    ...                           recurrence_value="0 9 ? * 5L", recurrence_end_time="2024-03-01T00:00Z",
    ...                           now=datetime(2023, 12, 31, tzinfo=UTC))
"""

from __future__ import annotations

from datetime import datetime, timedelta

from autoscaler.ess.errors import EssError, ess_error
from autoscaler.ess.recurrence._errors import RecurrenceError
from autoscaler.ess.recurrence._schedule import RecurrenceType, Schedule
from autoscaler.ess.recurrence._wire import parse_wire_minute
from autoscaler.timeutil import ensure_utc

__all__ = [
    "DEFAULT_LAUNCH_EXPIRATION",
    "LAUNCH_EXPIRATION_RANGE",
    "MAX_LAUNCH_AHEAD",
    "check_horizon",
    "launch_expiration_from_request",
    "schedule_from_request",
]

MAX_LAUNCH_AHEAD = timedelta(days=90)
"""LaunchTime and RecurrenceEndTime: "a time point 90 days after creation or modification cannot be entered"."""

DEFAULT_LAUNCH_EXPIRATION = 600
"""Seconds within which a trigger that failed (group busy or disabled) is retried."""

LAUNCH_EXPIRATION_RANGE = (0, 21600)
"""Documented LaunchExpirationTime range in seconds, inclusive."""

_TOGETHER = ("RecurrenceType", "RecurrenceValue", "RecurrenceEndTime")


def _invalid(exc: RecurrenceError, action: str) -> EssError:
    return ess_error("InvalidParameter", action=action, name=exc.field)


def schedule_from_request(
    *,
    launch_time: str | None,
    recurrence_type: str | None = None,
    recurrence_value: str | None = None,
    recurrence_end_time: str | None = None,
    now: datetime,
    action: str = "CreateScheduledTask",
) -> Schedule:
    """Validate the four schedule fields of a request, including the 90-day limit."""
    if launch_time is None:
        raise ess_error("MissingParameter", action=action, name="LaunchTime")
    given = (recurrence_type, recurrence_value, recurrence_end_time)
    if any(part is not None for part in given):
        for part, name in zip(given, _TOGETHER, strict=True):
            if part is None:
                raise ess_error("MissingParameter", action=action, name=name)
    try:
        if recurrence_type is not None and recurrence_type not in {t.value for t in RecurrenceType}:
            raise RecurrenceError("RecurrenceType", f"{recurrence_type!r} is not a documented type")
        schedule = Schedule(
            launch_time=parse_wire_minute(launch_time, field="LaunchTime"),
            recurrence_type=None if recurrence_type is None else RecurrenceType(recurrence_type),
            recurrence_value=recurrence_value,
            recurrence_end_time=None if recurrence_end_time is None
            else parse_wire_minute(recurrence_end_time, field="RecurrenceEndTime"),
        )
    except RecurrenceError as exc:
        raise _invalid(exc, action) from exc
    check_horizon(schedule, now=now, action=action)
    return schedule


def check_horizon(schedule: Schedule, *, now: datetime, action: str = "CreateScheduledTask") -> None:
    """Reject a LaunchTime or RecurrenceEndTime more than 90 days after ``now``."""
    latest = ensure_utc(now, field="now") + MAX_LAUNCH_AHEAD
    if schedule.launch_time > latest:
        raise ess_error("InvalidParameter", action=action, name="LaunchTime")
    if schedule.recurrence_end_time is not None and schedule.recurrence_end_time > latest:
        raise ess_error("InvalidParameter", action=action, name="RecurrenceEndTime")


def launch_expiration_from_request(value: str | int | None, *, action: str = "CreateScheduledTask") -> int:
    """LaunchExpirationTime in seconds: the default 600, or a value in [0, 21600]."""
    if value is None:
        return DEFAULT_LAUNCH_EXPIRATION
    if isinstance(value, bool):
        raise ess_error("InvalidParameter", action=action, name="LaunchExpirationTime")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit():
            raise ess_error("InvalidParameter", action=action, name="LaunchExpirationTime")
        value = int(value)
    low, high = LAUNCH_EXPIRATION_RANGE
    if not low <= value <= high:
        raise ess_error("InvalidParameter", action=action, name="LaunchExpirationTime")
    return value
