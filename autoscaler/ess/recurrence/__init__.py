"""The recurrence engine of ESS scheduled tasks.

One implementation answers "when does this scheduled task fire next?" for the
emulator (which queues the firing as an event), the controller's scheduled policies
and the replays, so that their predictions agree to the minute.

- :class:`Schedule`: LaunchTime plus an optional Daily / Weekly / Monthly / Cron
  recurrence and its RecurrenceEndTime; ``next_after(t)`` and ``fires_between``.
- :func:`parse_cron` / :class:`CronExpression`: five-field UTC cron with
  ``, ? - * # / L W`` (``LW``, ``5L``, ``2#3``, ``15W``), which croniter alone does
  not parse.
- :func:`schedule_from_request`, :func:`check_horizon`,
  :func:`launch_expiration_from_request`: the wire edge, raising the documented
  ``MissingParameter`` / ``InvalidParameter`` errors.
- :class:`Recurrence`: the one-method protocol (``next_after``) both satisfy.

Example::

    >>> schedule = Schedule(launch_time=datetime(2024, 1, 1, 9, tzinfo=UTC),
    ...                     recurrence_type=RecurrenceType.DAILY, recurrence_value="2",
    ...                     recurrence_end_time=datetime(2024, 1, 31, tzinfo=UTC))
    >>> [f.day for f in schedule.fires_between(datetime(2024, 1, 1, tzinfo=UTC),
    ...                                         datetime(2024, 1, 8, tzinfo=UTC))]
    [1, 3, 5, 7]
"""

from autoscaler.ess.recurrence._cron import CronExpression, parse_cron
from autoscaler.ess.recurrence._errors import RecurrenceError
from autoscaler.ess.recurrence._request import (
    DEFAULT_LAUNCH_EXPIRATION,
    LAUNCH_EXPIRATION_RANGE,
    MAX_LAUNCH_AHEAD,
    check_horizon,
    launch_expiration_from_request,
    schedule_from_request,
)
from autoscaler.ess.recurrence._schedule import Recurrence, RecurrenceType, Schedule
from autoscaler.ess.recurrence._wire import format_wire_minute, parse_wire_minute

__all__ = [
    "DEFAULT_LAUNCH_EXPIRATION",
    "LAUNCH_EXPIRATION_RANGE",
    "MAX_LAUNCH_AHEAD",
    "CronExpression",
    "Recurrence",
    "RecurrenceError",
    "RecurrenceType",
    "Schedule",
    "check_horizon",
    "format_wire_minute",
    "launch_expiration_from_request",
    "parse_cron",
    "parse_wire_minute",
    "schedule_from_request",
]
