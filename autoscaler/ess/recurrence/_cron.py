"""Five-field UTC cron expressions as ESS scheduled tasks accept them.

ESS documents ``RecurrenceType=Cron`` as "minute, hour, day, month, week" in UTC,
with the wildcards ``, ? - * # / L W``. croniter parses the classic part but not
``LW``, a weekday with ``L`` (``5L``, the last Friday) or all of ``W``; and a replay
asks for millions of fire times, so this module owns the grammar and the search
and keeps croniter as an independent oracle in the property tests.

Grammar (each field is a comma list of items):

====================  =========  ======================================================
field                 values     items besides ``*``, ``a``, ``a-b``, ``*/s``, ``a-b/s``, ``a/s``
====================  =========  ======================================================
minute                0-59
hour                  0-23
day of month          1-31       ``?``, ``L`` (last day), ``L-n`` (n days before the last),
                                 ``nW`` (weekday nearest day n, same month), ``LW``
month                 1-12       names ``JAN``-``DEC``
day of week           0-7        Sunday is 0 and 7 (as in ``RecurrenceType=Weekly``);
                                 names ``SUN``-``SAT``; ``?``; ``nL`` (last weekday n of
                                 the month); ``n#k`` (k-th weekday n, k in 1-5)
====================  =========  ======================================================

Decisions where the reference is silent (docs/emulator-fidelity.md): ``?`` means the
same as ``*``; when both day fields are restricted a day matches if either does (the
Vixie-cron rule, croniter's default); a field is unrestricted only when it is exactly
``*`` or ``?``; ranges do not wrap (``5-1`` is rejected); a bare ``L`` in the
day-of-week field is rejected as ambiguous (Quartz reads it as Saturday).

Example::

    >>> expr = parse_cron("0 9 ? * 5L")            # 09:00 UTC on the last Friday
    >>> expr.next_after(datetime(2024, 1, 1, tzinfo=UTC)).isoformat()
    '2024-01-26T09:00:00+00:00'
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from autoscaler.ess.recurrence._errors import RecurrenceError
from autoscaler.timeutil import ensure_utc

__all__ = ["CronExpression", "parse_cron"]

_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_WEEKDAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
# 400 years is one Gregorian cycle: an expression with no match in it never matches.
_HORIZON_YEARS = 400


@dataclass(frozen=True, slots=True)
class _DaySpec:
    """The two day fields of an expression, in a hashable form for the month cache."""

    dom_any: bool
    dow_any: bool
    dom_days: frozenset[int]
    dom_last_offsets: frozenset[int]  # L is offset 0, L-3 is offset 3
    dom_nearest: frozenset[int]  # nW
    dom_last_weekday: bool  # LW
    dow_days: frozenset[int]  # 0-6, Sunday 0
    dow_last: frozenset[int]  # nL
    dow_nth: frozenset[tuple[int, int]]  # n#k as (weekday, k)


def _cron_weekday(year: int, month: int, day: int) -> int:
    return (calendar.weekday(year, month, day) + 1) % 7


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int | None:
    if day > last:
        return None
    wd = calendar.weekday(year, month, day)  # Monday 0 ... Sunday 6
    if wd == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if wd == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < last else day - 2
    return day


def _dom_matches(spec: _DaySpec, year: int, month: int, last: int) -> set[int]:
    days = {d for d in spec.dom_days if d <= last}
    days.update(last - off for off in spec.dom_last_offsets if last - off >= 1)
    for n in spec.dom_nearest:
        near = _nearest_weekday(year, month, n, last)
        if near is not None:
            days.add(near)
    if spec.dom_last_weekday:
        day = last
        while calendar.weekday(year, month, day) >= 5:
            day -= 1
        days.add(day)
    return days


def _dow_matches(spec: _DaySpec, year: int, month: int, last: int) -> set[int]:
    first = _cron_weekday(year, month, 1)
    days: set[int] = set()
    for wd in spec.dow_days:
        days.update(range(1 + (wd - first) % 7, last + 1, 7))
    for wd in spec.dow_last:
        first_of = 1 + (wd - first) % 7
        days.add(first_of + 7 * ((last - first_of) // 7))
    for wd, k in spec.dow_nth:
        day = 1 + (wd - first) % 7 + 7 * (k - 1)
        if day <= last:
            days.add(day)
    return days


@lru_cache(maxsize=8192)
def _month_days(spec: _DaySpec, year: int, month: int) -> tuple[int, ...]:
    """Sorted days of ``year-month`` that the day fields select."""
    last = calendar.monthrange(year, month)[1]
    if spec.dom_any and spec.dow_any:
        return tuple(range(1, last + 1))
    if spec.dow_any:
        return tuple(sorted(_dom_matches(spec, year, month, last)))
    if spec.dom_any:
        return tuple(sorted(_dow_matches(spec, year, month, last)))
    return tuple(sorted(_dom_matches(spec, year, month, last) | _dow_matches(spec, year, month, last)))


@dataclass(frozen=True, slots=True, repr=False)
class CronExpression:
    """A parsed expression; build it with :func:`parse_cron`.

    ``next_after(t)`` is the first matching minute strictly after ``t``;
    ``until`` bounds the search (inclusive) so that an expression that fires
    rarely costs nothing past the caller's horizon.
    """

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    days: _DaySpec

    def matches(self, t: datetime) -> bool:
        """Whether the minute containing ``t`` is a fire time."""
        t = ensure_utc(t, field="t")
        return (t.minute in self.minutes and t.hour in self.hours and t.month in self.months
                and t.day in _month_days(self.days, t.year, t.month))

    def next_after(self, t: datetime, *, until: datetime | None = None) -> datetime | None:
        t = ensure_utc(t, field="t")
        start = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = (start.year + _HORIZON_YEARS, 12, 31, 23, 59) if until is None else _key(ensure_utc(until))
        found = self._search(start.year, start.month, start.day, start.hour, start.minute, limit)
        if found is None:
            return None
        return datetime(*found, tzinfo=UTC)

    def _search(self, y: int, mo: int, d: int, h: int, mi: int,
                limit: tuple[int, int, int, int, int]) -> tuple[int, int, int, int, int] | None:
        months, hours, minutes = self.months, self.hours, self.minutes
        while (y, mo, d, h, mi) <= limit:
            if mo not in months:
                y, mo = _next_month(y, mo, months)
                d, h, mi = 1, 0, 0
                continue
            days = _month_days(self.days, y, mo)
            i = bisect_left(days, d)
            if i == len(days):
                y, mo = _next_month(y, mo, months)
                d, h, mi = 1, 0, 0
                continue
            if days[i] != d:
                d, h, mi = days[i], 0, 0
            j = bisect_left(hours, h)
            if j == len(hours):
                d, h, mi = d + 1, 0, 0
                continue
            if hours[j] != h:
                h, mi = hours[j], 0
            k = bisect_left(minutes, mi)
            if k == len(minutes):
                h, mi = h + 1, 0
                continue
            found = (y, mo, d, h, minutes[k])
            return found if found <= limit else None
        return None

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"parse_cron({self.text!r})"


def _key(t: datetime) -> tuple[int, int, int, int, int]:
    return (t.year, t.month, t.day, t.hour, t.minute)


def _next_month(y: int, mo: int, months: tuple[int, ...]) -> tuple[int, int]:
    i = bisect_left(months, mo + 1)
    if i < len(months):
        return y, months[i]
    return y + 1, months[0]


# --------------------------------------------------------------------------- parsing

_NUMBER = re.compile(r"[0-9]{1,2}|[A-Za-z]{3}")


def _value(token: str, field: str, low: int, high: int, names: dict[str, int] | None) -> int:
    if not _NUMBER.fullmatch(token):
        raise RecurrenceError(field, f"{token!r} is not a number")
    if token.isdigit():
        number = int(token)
    elif names is not None and token.upper() in names:
        number = names[token.upper()]
    else:
        raise RecurrenceError(field, f"{token!r} is not a known name")
    if not low <= number <= high:
        raise RecurrenceError(field, f"{number} is out of range {low}-{high}")
    return number


def _range_item(item: str, field: str, low: int, high: int, names: dict[str, int] | None,
                open_high: int | None = None) -> range:
    """Expand ``*``, ``a``, ``a-b`` with an optional ``/step``.

    ``open_high`` is where ``*`` and ``a/step`` stop when it is below ``high``: the
    day of week accepts 7 as another name of Sunday, but a week runs 0-6 (croniter
    agrees: ``1/6`` is Monday only).
    """
    stop = high if open_high is None else open_high
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise RecurrenceError(field, f"step {step_text!r} must be a positive integer")
        step = int(step_text)
    if base == "*":
        return range(low, stop + 1, step)
    first_text, dash, last_text = base.partition("-")
    first = _value(first_text, field, low, high, names)
    if dash:
        last = _value(last_text, field, low, high, names)
        if last < first:
            raise RecurrenceError(field, f"range {base!r} runs backwards (ranges do not wrap)")
    else:
        last = max(stop, first) if slash else first
    return range(first, last + 1, step)


def _simple_field(text: str, field: str, low: int, high: int,
                  names: dict[str, int] | None = None) -> tuple[int, ...]:
    values: set[int] = set()
    for item in _items(text, field):
        values.update(_range_item(item, field, low, high, names))
    return tuple(sorted(values))


def _items(text: str, field: str) -> list[str]:
    items = text.split(",")
    if any(not item for item in items):
        raise RecurrenceError(field, f"{text!r} has an empty list item")
    return items


_LAST_OFFSET = re.compile(r"L(?:-([0-9]{1,2}))?")


_DomParts = tuple[frozenset[int], frozenset[int], frozenset[int], bool]
_DowParts = tuple[frozenset[int], frozenset[int], frozenset[tuple[int, int]]]


def _dom_field(text: str) -> _DomParts:
    """(days, offsets from L, nearest-weekday days, LW) of a restricted day-of-month field."""
    field = "day-of-month"
    days: set[int] = set()
    offsets: set[int] = set()
    nearest: set[int] = set()
    last_weekday = False
    for item in _items(text, field):
        if item == "LW":
            last_weekday = True
        elif match := _LAST_OFFSET.fullmatch(item):
            offset = int(match.group(1) or 0)
            if offset > 30:
                raise RecurrenceError(field, f"{item!r}: the offset from L must be at most 30")
            offsets.add(offset)
        elif item.endswith("W"):
            nearest.add(_value(item[:-1], field, 1, 31, None))
        else:
            days.update(_range_item(item, field, 1, 31, None))
    return frozenset(days), frozenset(offsets), frozenset(nearest), last_weekday


def _dow_field(text: str) -> _DowParts:
    """(weekdays, nL weekdays, n#k pairs) of a restricted day-of-week field (Sunday 0)."""
    field = "day-of-week"
    days: set[int] = set()
    last: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in _items(text, field):
        if item == "L":
            raise RecurrenceError(field, "a bare 'L' is ambiguous; write the weekday, e.g. '6L' or '5L'")
        if item.endswith("L"):
            last.add(_value(item[:-1], field, 0, 7, _WEEKDAYS) % 7)
        elif "#" in item:
            weekday_text, _, k_text = item.partition("#")
            if not k_text.isdigit() or not 1 <= int(k_text) <= 5:
                raise RecurrenceError(field, f"{item!r}: the occurrence after '#' must be 1-5")
            nth.add((_value(weekday_text, field, 0, 7, _WEEKDAYS) % 7, int(k_text)))
        else:
            days.update(v % 7 for v in _range_item(item, field, 0, 7, _WEEKDAYS, open_high=6))
    return frozenset(days), frozenset(last), frozenset(nth)


_ANY = ("*", "?")


def parse_cron(expr: str) -> CronExpression:
    """Parse a five-field expression; :class:`RecurrenceError` names the faulty field."""
    if not isinstance(expr, str):
        raise RecurrenceError("cron", f"expected a string, got {type(expr).__name__}")
    fields = expr.split()
    if len(fields) != 5 or expr != " ".join(fields):
        raise RecurrenceError("cron", f"{expr!r} must be five fields separated by single spaces "
                              "(minute hour day-of-month month day-of-week)")
    for name, text in zip(_FIELD_NAMES, fields, strict=True):
        if "?" in text and (name not in ("day-of-month", "day-of-week") or text != "?"):
            raise RecurrenceError(name, f"{text!r}: '?' is allowed only alone in a day field")
    minute, hour, dom, month, dow = fields
    dom_days, dom_offsets, dom_nearest, dom_lw = _dom_field(dom) if dom not in _ANY else (
        frozenset(), frozenset(), frozenset(), False)
    dow_days, dow_last, dow_nth = _dow_field(dow) if dow not in _ANY else (frozenset(), frozenset(), frozenset())
    days = _DaySpec(
        dom_any=dom in _ANY, dow_any=dow in _ANY, dom_days=dom_days, dom_last_offsets=dom_offsets,
        dom_nearest=dom_nearest, dom_last_weekday=dom_lw, dow_days=dow_days, dow_last=dow_last, dow_nth=dow_nth,
    )
    return CronExpression(
        text=expr,
        minutes=_simple_field(minute, "minute", 0, 59),
        hours=_simple_field(hour, "hour", 0, 23),
        months=_simple_field(month, "month", 1, 12, _MONTHS),
        days=days,
    )
