"""The recurrence engine against a brute-force, minute-by-minute reference written independently.

The reference reads the expression text item by item for every candidate minute and
decides from the calendar alone (``calendar.monthrange``, ``isoweekday``): no sets,
no bisect, no caches. It skips a whole day or hour only when the day or hour test
already failed, which cannot hide a match. croniter is a second oracle for the
classic subset.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from croniter import croniter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autoscaler.ess.recurrence import RecurrenceType, Schedule, parse_cron

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


# --------------------------------------------------------------------------- the reference


def number(token: str, names: list[str], first: int) -> int:
    return int(token) if token.isdigit() else names.index(token.upper()) + first


def item_matches(item: str, value: int, low: int, high: int, names: list[str], first: int) -> bool:
    base, slash, step_text = item.partition("/")
    step = int(step_text) if slash else 1
    if base == "*":
        lo, hi = low, high
    elif "-" in base:
        a, b = base.split("-")
        lo, hi = number(a, names, first), number(b, names, first)
    else:
        lo = number(base, names, first)
        hi = max(high, lo) if slash else lo
    return lo <= value <= hi and (value - lo) % step == 0


def field_matches(text: str, value: int, low: int, high: int, names: list[str] | None = None, first: int = 0) -> bool:
    return any(item_matches(item, value, low, high, names or [], first) for item in text.split(","))


def weekdays_of_month(day: date) -> list[int]:
    last = calendar.monthrange(day.year, day.month)[1]
    return [d for d in range(1, last + 1) if date(day.year, day.month, d).isoweekday() <= 5]


def dom_item_matches(item: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if item == "L":
        return day.day == last
    if item.startswith("L-"):
        return day.day == last - int(item[2:])
    if item == "LW":
        return day.day == max(weekdays_of_month(day))
    if item.endswith("W"):
        target = int(item[:-1])
        if target > last:
            return False
        return day.day == min(weekdays_of_month(day), key=lambda d: abs(d - target))
    return item_matches(item, day.day, 1, 31, [], 1)


def dow_item_matches(item: str, day: date) -> bool:
    weekday = day.isoweekday() % 7  # Sunday 0
    last = calendar.monthrange(day.year, day.month)[1]
    if item.endswith("L"):
        return number(item[:-1], DAY_NAMES, 0) % 7 == weekday and day.day + 7 > last
    if "#" in item:
        wd, k = item.split("#")
        return number(wd, DAY_NAMES, 0) % 7 == weekday and (day.day - 1) // 7 + 1 == int(k)
    # A week is 0-6 for "*" and "a/step"; 7 is only another name of Sunday.
    candidates = [0, 7] if weekday == 0 else [weekday]
    return any(item_matches(item, v, 0, 6, DAY_NAMES, 0) for v in candidates)


def day_matches(dom: str, dow: str, day: date) -> bool:
    dom_any, dow_any = dom in ("*", "?"), dow in ("*", "?")
    if dom_any and dow_any:
        return True
    by_dom = not dom_any and any(dom_item_matches(item, day) for item in dom.split(","))
    by_dow = not dow_any and any(dow_item_matches(item, day) for item in dow.split(","))
    if dom_any:
        return by_dow
    if dow_any:
        return by_dom
    return by_dom or by_dow


def reference_next(expr: str, after: datetime, until: datetime) -> datetime | None:
    minute, hour, dom, month, dow = expr.split(" ")
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t <= until:
        if not (field_matches(month, t.month, 1, 12, MONTH_NAMES, 1) and day_matches(dom, dow, t.date())):
            t = datetime(t.year, t.month, t.day, tzinfo=UTC) + timedelta(days=1)
        elif not field_matches(hour, t.hour, 0, 23):
            t = t.replace(minute=0) + timedelta(hours=1)
        elif field_matches(minute, t.minute, 0, 59):
            return t
        else:
            t += timedelta(minutes=1)
    return None


# --------------------------------------------------------------------------- strategies


def plain_items(low: int, high: int, names: list[str] | None = None, first: int = 0) -> st.SearchStrategy[str]:
    def show(value: int, as_name: bool) -> str:
        return names[value - first] if names and as_name and value - first < len(names) else str(value)

    values = st.integers(low, high)
    single = st.builds(show, values, st.booleans())
    ranged = st.tuples(values, values, st.booleans()).map(
        lambda t: f"{show(min(t[0], t[1]), t[2])}-{show(max(t[0], t[1]), t[2])}")
    stepped = st.tuples(st.sampled_from(["*"]) | single | ranged, st.integers(1, high - low + 2)).map(
        lambda t: f"{t[0]}/{t[1]}")
    return single | ranged | stepped | st.just("*")


def listed(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(items, min_size=1, max_size=3).map(",".join)


dom_special = st.just("L") | st.just("LW") | st.integers(0, 30).map(lambda n: f"L-{n}") | st.integers(1, 31).map(
    lambda n: f"{n}W")
dow_special = st.tuples(st.integers(0, 7), st.booleans()).map(
    lambda t: f"{DAY_NAMES[t[0] % 7] if t[1] else t[0]}L") | st.tuples(st.integers(0, 7), st.integers(1, 5)).map(
    lambda t: f"{t[0]}#{t[1]}")
minutes = listed(plain_items(0, 59))
hours = listed(plain_items(0, 23))
doms = st.sampled_from(["*", "?"]) | listed(plain_items(1, 31) | dom_special)
months = listed(plain_items(1, 12, MONTH_NAMES, 1))
dows = st.sampled_from(["*", "?"]) | listed(plain_items(0, 7, DAY_NAMES, 0) | dow_special)
expressions = st.tuples(minutes, hours, doms, months, dows).map(" ".join)
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(tzinfo=UTC))


# --------------------------------------------------------------------------- properties


@settings(max_examples=400, deadline=None)
@given(expressions, instants)
def test_cron_next_after_equals_the_brute_force_reference(expr: str, after: datetime) -> None:
    until = after + timedelta(days=800)
    assert parse_cron(expr).next_after(after, until=until) == reference_next(expr, after, until)


@settings(max_examples=200, deadline=None)
@given(expressions, instants)
def test_cron_fire_times_are_exactly_the_matching_minutes(expr: str, after: datetime) -> None:
    parsed = parse_cron(expr)
    t = after
    for _ in range(5):
        nxt = parsed.next_after(t, until=after + timedelta(days=800))
        if nxt is None:
            break
        assert nxt > t
        assert parsed.matches(nxt)
        assert nxt == reference_next(expr, t, nxt)
        t = nxt


classic = st.tuples(minutes, hours, listed(plain_items(1, 31)), months, st.just("*")).map(" ".join) | st.tuples(
    minutes, hours, st.just("*"), months, listed(plain_items(0, 7))).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(classic, instants)
def test_classic_expressions_agree_with_croniter(expr: str, after: datetime) -> None:
    assume(not re.search(r"\b(\w+)-\1\b", expr))  # croniter reads "0-0" as a wider range
    assume(not re.search(r"(^|,)7/", expr.split(" ")[4]))  # croniter reads "7/1" as every day, we as Sunday
    mine = parse_cron(expr).next_after(after, until=after + timedelta(days=3000))
    if mine is None:
        return  # e.g. "0 0 30 2 *": croniter searches forever or raises, no oracle
    theirs = croniter(expr, after).get_next(datetime)
    assert mine == theirs


# --------------------------------------------------------------------------- schedules


def schedule_matches(schedule: Schedule, t: datetime) -> bool:
    launch, kind, value = schedule.launch_time, schedule.recurrence_type, schedule.recurrence_value or ""
    same_time_of_day = (t.hour, t.minute) == (launch.hour, launch.minute)
    if kind is None:
        return t == launch
    if kind is RecurrenceType.DAILY:
        return same_time_of_day and (t.date() - launch.date()).days % int(value) == 0
    if kind is RecurrenceType.WEEKLY:
        return same_time_of_day and str(t.isoweekday() % 7) in value.split(",")
    if kind is RecurrenceType.MONTHLY:
        low, high = (int(v) for v in value.split("-"))
        return same_time_of_day and low <= t.day <= high
    minute, hour, dom, month, dow = value.split(" ")
    return (field_matches(minute, t.minute, 0, 59) and field_matches(hour, t.hour, 0, 23)
            and field_matches(month, t.month, 1, 12, MONTH_NAMES, 1) and day_matches(dom, dow, t.date()))


def reference_fires(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every minute in (start, end] from LaunchTime to RecurrenceEndTime that matches."""
    last = min(end, schedule.recurrence_end_time or schedule.launch_time)
    t = max(start.replace(second=0, microsecond=0) + timedelta(minutes=1), schedule.launch_time)
    found: list[datetime] = []
    while t <= last:
        if schedule_matches(schedule, t):
            found.append(t)
        t += timedelta(minutes=1)
    return found


minute_instants = instants.map(lambda t: t.replace(second=0, microsecond=0))
recurrences = st.one_of(
    st.tuples(st.just(RecurrenceType.DAILY), st.integers(1, 31).map(str)),
    st.tuples(st.just(RecurrenceType.WEEKLY), st.sets(st.integers(0, 6), min_size=1).map(
        lambda s: ",".join(str(v) for v in sorted(s)))),
    st.tuples(st.just(RecurrenceType.MONTHLY), st.tuples(st.integers(1, 31), st.integers(1, 31)).filter(
        lambda t: t[0] != t[1]).map(lambda t: f"{min(t)}-{max(t)}")),
    st.tuples(st.just(RecurrenceType.CRON), st.tuples(minutes, st.integers(0, 23).map(str), doms, months, dows).map(
        " ".join)),
)


@settings(max_examples=150, deadline=None)
@given(minute_instants, st.none() | recurrences, st.integers(0, 20 * 24 * 60), st.integers(-3 * 24 * 60, 4 * 24 * 60),
       st.integers(0, 25 * 24 * 60))
def test_schedule_fires_equal_the_minute_by_minute_reference(
    launch: datetime, recurrence: tuple[RecurrenceType, str] | None, span: int, offset: int, window: int
) -> None:
    if recurrence is None:
        schedule = Schedule(launch_time=launch)
    else:
        schedule = Schedule(launch_time=launch, recurrence_type=recurrence[0], recurrence_value=recurrence[1],
                            recurrence_end_time=launch + timedelta(minutes=span))
    start = launch + timedelta(minutes=offset, seconds=offset % 60)
    end = start + timedelta(minutes=window)
    assert list(schedule.fires_between(start, end)) == reference_fires(schedule, start, end)
