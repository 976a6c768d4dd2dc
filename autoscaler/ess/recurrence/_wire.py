"""ESS wire format of scheduled-task times: ``YYYY-MM-DDThh:mmZ`` in UTC.

CreateScheduledTask and ModifyScheduledTask document LaunchTime and
RecurrenceEndTime with minute resolution and a literal ``Z``. The parser accepts
exactly that shape (no seconds, no offsets, no lower-case ``z``) so that a request
the real service would reject is rejected here too, with the field named.

Example::

    >>> parse_wire_minute("2014-08-17T16:52Z", field="LaunchTime")
    datetime.datetime(2014, 8, 17, 16, 52, tzinfo=datetime.timezone.utc)
    >>> format_wire_minute(datetime(2014, 8, 17, 16, 52, tzinfo=UTC))
    '2014-08-17T16:52Z'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from autoscaler.ess.recurrence._errors import RecurrenceError
from autoscaler.timeutil import ensure_utc

__all__ = ["format_wire_minute", "parse_wire_minute"]

_MINUTE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})Z")


def parse_wire_minute(text: str, *, field: str) -> datetime:
    """Parse ``YYYY-MM-DDThh:mmZ`` into an aware UTC datetime; errors name ``field``."""
    match = _MINUTE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise RecurrenceError(field, f"{text!r} is not a UTC time of the form YYYY-MM-DDThh:mmZ")
    try:
        year, month, day, hour, minute = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError as exc:
        raise RecurrenceError(field, f"{text!r} is not a valid date and time ({exc})") from exc


def format_wire_minute(value: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDThh:mmZ`` (seconds are truncated)."""
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%MZ")
