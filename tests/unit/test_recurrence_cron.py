"""Cron expressions of ESS scheduled tasks: documented wildcards and calendar boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from autoscaler.ess.recurrence import CronExpression, Recurrence, RecurrenceError, parse_cron


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]  # y, m, d[, h, mi]


def fires(expr: str, start: datetime, count: int) -> list[datetime]:
    parsed = parse_cron(expr)
    out: list[datetime] = []
    t = start
    for _ in range(count):
        nxt = parsed.next_after(t)
        assert nxt is not None
        out.append(nxt)
        t = nxt
    return out


def test_every_fifteen_minutes_fires_strictly_after_the_given_time() -> None:
    assert fires("*/15 * * * *", at(2024, 1, 1, 0, 0), 3) == [at(2024, 1, 1, 0, 15), at(2024, 1, 1, 0, 30),
                                                             at(2024, 1, 1, 0, 45)]


def test_seconds_in_the_given_time_round_up_to_the_next_minute() -> None:
    parsed = parse_cron("* * * * *")
    assert parsed.next_after(at(2024, 1, 1, 10, 0) + timedelta(seconds=59)) == at(2024, 1, 1, 10, 1)


def test_february_29_fires_only_in_leap_years() -> None:
    assert fires("0 0 29 2 *", at(2024, 3, 1), 2) == [at(2028, 2, 29), at(2032, 2, 29)]


def test_day_31_skips_months_without_one() -> None:
    assert fires("0 12 31 * *", at(2024, 3, 31, 13, 0), 2) == [at(2024, 5, 31, 12, 0), at(2024, 7, 31, 12, 0)]


def test_last_day_of_month_in_leap_and_common_february() -> None:
    assert fires("0 0 L 2 *", at(2023, 1, 1), 2) == [at(2023, 2, 28), at(2024, 2, 29)]


def test_last_day_minus_offset() -> None:
    assert fires("0 0 L-3 * *", at(2024, 2, 1), 2) == [at(2024, 2, 26), at(2024, 3, 28)]


def test_last_weekday_of_month_when_the_month_ends_on_a_weekend() -> None:
    # March 2024 ends on a Sunday, August 2024 on a Saturday, February 2024 on a Thursday.
    assert fires("0 0 LW * *", at(2024, 2, 1), 3) == [at(2024, 2, 29), at(2024, 3, 29), at(2024, 4, 30)]
    assert parse_cron("0 0 LW * *").next_after(at(2024, 8, 1)) == at(2024, 8, 30)


def test_nearest_weekday_never_leaves_the_month() -> None:
    # June 1st 2024 is a Saturday: 1W is Monday the 3rd, not Friday May 31st.
    assert parse_cron("0 0 1W * *").next_after(at(2024, 5, 31, 1, 0)) == at(2024, 6, 3)
    # March 31st 2024 is a Sunday: 31W is Friday the 29th, not Monday April 1st.
    assert parse_cron("0 0 31W * *").next_after(at(2024, 3, 1)) == at(2024, 3, 29)


def test_nearest_weekday_moves_saturday_back_and_sunday_forward() -> None:
    # 2024-06-15 is a Saturday, 2024-09-15 a Sunday.
    assert parse_cron("0 0 15W 6 *").next_after(at(2024, 1, 1)) == at(2024, 6, 14)
    assert parse_cron("0 0 15W 9 *").next_after(at(2024, 1, 1)) == at(2024, 9, 16)


def test_nearest_weekday_of_a_day_the_month_lacks_never_fires_that_month() -> None:
    assert parse_cron("0 0 30W * *").next_after(at(2024, 2, 1)) == at(2024, 3, 29)


def test_last_friday_with_5L() -> None:
    assert fires("0 9 ? * 5L", at(2024, 1, 1), 3) == [at(2024, 1, 26, 9, 0), at(2024, 2, 23, 9, 0),
                                                     at(2024, 3, 29, 9, 0)]


def test_third_tuesday_with_2_hash_3() -> None:
    assert fires("30 8 ? * 2#3", at(2024, 1, 1), 3) == [at(2024, 1, 16, 8, 30), at(2024, 2, 20, 8, 30),
                                                       at(2024, 3, 19, 8, 30)]


def test_fifth_monday_skips_months_without_one() -> None:
    # 2024: January has five Mondays (29th), February and March do not, April does (29th).
    assert fires("0 0 ? * 1#5", at(2024, 1, 1), 2) == [at(2024, 1, 29), at(2024, 4, 29)]


def test_weekday_names_and_sunday_as_seven() -> None:
    assert parse_cron("0 0 ? * SUN").next_after(at(2024, 1, 1)) == at(2024, 1, 7)
    assert parse_cron("0 0 ? * 7").next_after(at(2024, 1, 1)) == at(2024, 1, 7)
    assert parse_cron("0 0 ? * FRIL").next_after(at(2024, 1, 1)) == at(2024, 1, 26)
    assert parse_cron("0 0 1 FEB-MAR/1 *").next_after(at(2024, 1, 1)) == at(2024, 2, 1)


def test_both_day_fields_restricted_match_either() -> None:
    # The 13th or any Friday: 2024-09-06 is a Friday, the 13th is also a Friday.
    assert fires("0 0 13 * 5", at(2024, 9, 1), 3) == [at(2024, 9, 6), at(2024, 9, 13), at(2024, 9, 20)]


def test_question_mark_means_no_restriction() -> None:
    assert parse_cron("0 0 ? * ?").next_after(at(2024, 1, 1)) == at(2024, 1, 2)


def test_start_with_step_runs_to_the_end_of_the_range() -> None:
    assert parse_cron("50/5 * * * *").minutes == (50, 55)
    assert parse_cron("10-20/5 * * * *").minutes == (10, 15, 20)


def test_until_bounds_the_search() -> None:
    parsed = parse_cron("0 0 29 2 *")
    assert parsed.next_after(at(2024, 3, 1), until=at(2028, 2, 28)) is None
    assert parsed.next_after(at(2024, 3, 1), until=at(2028, 2, 29)) == at(2028, 2, 29)


def test_an_expression_that_never_matches_returns_none() -> None:
    assert parse_cron("0 0 30 2 *").next_after(at(2024, 1, 1)) is None


def test_matches_tests_one_minute() -> None:
    parsed = parse_cron("0 9 ? * 5L")
    assert parsed.matches(at(2024, 1, 26, 9, 0))
    assert not parsed.matches(at(2024, 1, 19, 9, 0))


def test_other_timezones_are_converted_and_naive_times_rejected() -> None:
    parsed = parse_cron("0 9 * * *")
    plus_two = timezone(timedelta(hours=2))
    assert parsed.next_after(datetime(2024, 1, 1, 12, 0, tzinfo=plus_two)) == at(2024, 1, 2, 9, 0)
    assert parsed.next_after(datetime(2024, 1, 1, 10, 0, tzinfo=plus_two)) == at(2024, 1, 1, 9, 0)
    with pytest.raises(ValueError, match="naive"):
        parsed.next_after(datetime(2024, 1, 1))


def test_cron_expression_is_a_recurrence() -> None:
    assert isinstance(parse_cron("* * * * *"), Recurrence)
    assert isinstance(parse_cron("* * * * *"), CronExpression)


@pytest.mark.parametrize(
    ("expr", "field"),
    [
        ("* * * *", "cron"),
        ("0 0 * * * *", "cron"),
        ("0  0 * * *", "cron"),
        ("60 * * * *", "minute"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day-of-month"),
        ("* * 32 * *", "day-of-month"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day-of-week"),
        ("*/0 * * * *", "minute"),
        ("5-1 * * * *", "minute"),
        ("1,,2 * * * *", "minute"),
        ("? * * * *", "minute"),
        ("* * * ? *", "month"),
        ("* * 1,? * *", "day-of-month"),
        ("* * L-31 * *", "day-of-month"),
        ("* * W * *", "day-of-month"),
        ("* * 32W * *", "day-of-month"),
        ("* * * * L", "day-of-week"),
        ("* * * * 2#6", "day-of-week"),
        ("* * * * 2#0", "day-of-week"),
        ("* * * * 8L", "day-of-week"),
        ("* * * * FOO", "day-of-week"),
        ("* * * JANUARY *", "month"),
        ("* * L * *L", "day-of-week"),
        ("0 0 1 * 5W", "day-of-week"),
        ("0 0 1 * 2#", "day-of-week"),
        ("0 0 1# * *", "day-of-month"),
    ],
)
def test_invalid_expressions_name_the_field(expr: str, field: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_cron(expr)
    assert caught.value.field == field


def test_non_string_expression_is_rejected() -> None:
    with pytest.raises(RecurrenceError):
        parse_cron(5)  # type: ignore[arg-type]  # deliberately wrong type
