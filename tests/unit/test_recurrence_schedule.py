"""Scheduled-task schedules: one-shot, Daily, Weekly, Monthly, Cron, the end time and the wire edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autoscaler.ess import EssError
from autoscaler.ess.recurrence import (
    DEFAULT_LAUNCH_EXPIRATION,
    Recurrence,
    RecurrenceError,
    RecurrenceType,
    Schedule,
    check_horizon,
    format_wire_minute,
    launch_expiration_from_request,
    parse_wire_minute,
    schedule_from_request,
)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]  # y, m, d[, h, mi]


def recurring(kind: RecurrenceType, value: str, launch: datetime, end: datetime) -> Schedule:
    return Schedule(launch_time=launch, recurrence_type=kind, recurrence_value=value, recurrence_end_time=end)


def test_one_shot_fires_once_at_launch_time() -> None:
    schedule = Schedule(launch_time=at(2024, 1, 1, 9, 0))
    assert not schedule.recurring
    assert schedule.next_after(at(2024, 1, 1, 8, 59)) == at(2024, 1, 1, 9, 0)
    assert schedule.next_after(at(2024, 1, 1, 9, 0)) is None
    assert list(schedule.fires_between(at(2024, 1, 1), at(2024, 1, 2))) == [at(2024, 1, 1, 9, 0)]


def test_documented_example_daily_with_end_three_minutes_later_fires_once() -> None:
    schedule = schedule_from_request(launch_time="2014-08-17T16:52Z", recurrence_type="Daily",
                                     recurrence_value="1", recurrence_end_time="2014-08-17T16:55Z",
                                     now=at(2014, 8, 17, 16, 0))
    assert list(schedule.fires_between(at(2014, 8, 1), at(2014, 9, 1))) == [at(2014, 8, 17, 16, 52)]


def test_daily_every_n_days_from_launch_time() -> None:
    schedule = recurring(RecurrenceType.DAILY, "3", at(2024, 2, 27, 6, 30), at(2024, 3, 31))
    assert list(schedule.fires_between(at(2024, 2, 1), at(2024, 3, 8))) == [
        at(2024, 2, 27, 6, 30), at(2024, 3, 1, 6, 30), at(2024, 3, 4, 6, 30), at(2024, 3, 7, 6, 30)]


def test_weekly_fires_on_listed_weekdays_at_launch_time_of_day() -> None:
    # 2024-01-01 is a Monday; Sunday is 0.
    schedule = recurring(RecurrenceType.WEEKLY, "0,3", at(2024, 1, 1, 22, 15), at(2024, 1, 31))
    assert list(schedule.fires_between(at(2024, 1, 1), at(2024, 1, 11))) == [
        at(2024, 1, 3, 22, 15), at(2024, 1, 7, 22, 15), at(2024, 1, 10, 22, 15)]


def test_weekly_does_not_fire_at_launch_time_on_an_unlisted_weekday() -> None:
    schedule = recurring(RecurrenceType.WEEKLY, "2", at(2024, 1, 1, 9, 0), at(2024, 1, 31))
    assert schedule.next_after(at(2023, 12, 1)) == at(2024, 1, 2, 9, 0)


def test_monthly_day_range_skips_days_a_month_lacks() -> None:
    schedule = recurring(RecurrenceType.MONTHLY, "29-31", at(2024, 1, 1, 0, 0), at(2024, 3, 30))
    assert list(schedule.fires_between(at(2024, 1, 1), at(2024, 3, 30))) == [
        at(2024, 1, 29), at(2024, 1, 30), at(2024, 1, 31), at(2024, 2, 29), at(2024, 3, 29), at(2024, 3, 30)]
    common_year = recurring(RecurrenceType.MONTHLY, "29-31", at(2023, 2, 1, 0, 0), at(2023, 3, 29))
    assert common_year.next_after(at(2023, 2, 1)) == at(2023, 3, 29)


def test_cron_recurrence_starts_at_launch_time() -> None:
    schedule = recurring(RecurrenceType.CRON, "0 * * * *", at(2024, 1, 1, 5, 0), at(2024, 1, 2))
    assert schedule.next_after(at(2024, 1, 1)) == at(2024, 1, 1, 5, 0)
    assert schedule.next_after(at(2024, 1, 1, 5, 0)) == at(2024, 1, 1, 6, 0)


def test_recurrence_end_time_exactly_at_a_fire_time_is_included() -> None:
    schedule = recurring(RecurrenceType.DAILY, "1", at(2024, 1, 1, 9, 0), at(2024, 1, 3, 9, 0))
    assert list(schedule.fires_between(at(2023, 12, 31), at(2024, 2, 1))) == [
        at(2024, 1, 1, 9, 0), at(2024, 1, 2, 9, 0), at(2024, 1, 3, 9, 0)]
    assert schedule.next_after(at(2024, 1, 3, 9, 0)) is None


def test_recurrence_end_time_one_minute_before_a_fire_time_excludes_it() -> None:
    schedule = recurring(RecurrenceType.CRON, "0 9 ? * 5L", at(2024, 1, 1, 0, 0), at(2024, 2, 23, 8, 59))
    assert list(schedule.fires_between(at(2024, 1, 1), at(2024, 3, 1))) == [at(2024, 1, 26, 9, 0)]


def test_fires_between_is_half_open_on_the_left() -> None:
    schedule = recurring(RecurrenceType.DAILY, "1", at(2024, 1, 1, 0, 0), at(2024, 1, 10))
    assert list(schedule.fires_between(at(2024, 1, 2), at(2024, 1, 4))) == [at(2024, 1, 3), at(2024, 1, 4)]


def test_schedule_is_a_recurrence_and_a_value() -> None:
    one = recurring(RecurrenceType.WEEKLY, "1", at(2024, 1, 1), at(2024, 2, 1))
    two = recurring(RecurrenceType.WEEKLY, "1", at(2024, 1, 1), at(2024, 2, 1))
    assert isinstance(one, Recurrence)
    assert one == two
    assert hash(one) == hash(two)
    with pytest.raises(AttributeError):
        one.launch_time = at(2025, 1, 1)  # type: ignore[misc]  # frozen


def test_recurrence_type_from_a_plain_string_is_normalised() -> None:
    schedule = Schedule(launch_time=at(2024, 1, 1), recurrence_type="Daily",  # type: ignore[arg-type]
                        recurrence_value="1", recurrence_end_time=at(2024, 1, 2))
    assert schedule.recurrence_type is RecurrenceType.DAILY


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("Daily", "0"), ("Daily", "32"), ("Daily", "1,2"), ("Daily", " 1"),
        ("Weekly", "7"), ("Weekly", "1,"), ("Weekly", ""), ("Weekly", "1, 2"),
        ("Monthly", "5-5"), ("Monthly", "6-5"), ("Monthly", "0-5"), ("Monthly", "1-32"), ("Monthly", "5"),
        ("Cron", "0 0 * *"), ("Cron", "0 0 * * L"),
    ],
)
def test_invalid_recurrence_values_name_recurrence_value(kind: str, value: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        recurring(RecurrenceType(kind), value, at(2024, 1, 1), at(2024, 2, 1))
    assert caught.value.field == "RecurrenceValue"


def test_recurrence_fields_go_together() -> None:
    with pytest.raises(RecurrenceError) as caught:
        Schedule(launch_time=at(2024, 1, 1), recurrence_type=RecurrenceType.DAILY, recurrence_value="1")
    assert caught.value.field == "RecurrenceEndTime"


def test_unknown_recurrence_type_is_rejected() -> None:
    with pytest.raises(RecurrenceError) as caught:
        Schedule(launch_time=at(2024, 1, 1), recurrence_type="Hourly",  # type: ignore[arg-type]
                 recurrence_value="1", recurrence_end_time=at(2024, 1, 2))
    assert caught.value.field == "RecurrenceType"


def test_end_before_launch_is_rejected() -> None:
    with pytest.raises(RecurrenceError) as caught:
        recurring(RecurrenceType.DAILY, "1", at(2024, 1, 2), at(2024, 1, 1))
    assert caught.value.field == "RecurrenceEndTime"


@pytest.mark.parametrize(
    "launch",
    [datetime(2024, 1, 1), at(2024, 1, 1) + timedelta(seconds=30), "2024-01-01T00:00Z"],
)
def test_launch_time_must_be_an_aware_whole_minute_datetime(launch: object) -> None:
    with pytest.raises(RecurrenceError) as caught:
        Schedule(launch_time=launch)  # type: ignore[arg-type]  # deliberately wrong values
    assert caught.value.field == "LaunchTime"


def test_naive_query_time_is_rejected() -> None:
    with pytest.raises(RecurrenceError, match="naive"):
        Schedule(launch_time=at(2024, 1, 1)).next_after(datetime(2024, 1, 1))


def test_wire_minute_round_trip() -> None:
    assert parse_wire_minute("2024-02-29T23:59Z", field="LaunchTime") == at(2024, 2, 29, 23, 59)
    assert format_wire_minute(at(2024, 2, 29, 23, 59)) == "2024-02-29T23:59Z"
    assert Schedule(launch_time=at(2024, 1, 1, 9, 0)).to_wire() == {"LaunchTime": "2024-01-01T09:00Z"}
    assert recurring(RecurrenceType.WEEKLY, "1,2", at(2024, 1, 1), at(2024, 2, 1)).to_wire() == {
        "LaunchTime": "2024-01-01T00:00Z", "RecurrenceType": "Weekly", "RecurrenceValue": "1,2",
        "RecurrenceEndTime": "2024-02-01T00:00Z"}


@pytest.mark.parametrize(
    "text", ["2024-01-01T00:00:00Z", "2024-01-01T00:00", "2024-01-01T00:00+08:00", "2023-02-29T00:00Z",
             "2024-01-01t00:00Z", "2024-13-01T00:00Z", "2024-01-01T24:00Z", ""],
)
def test_wire_minute_rejects_other_shapes(text: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_wire_minute(text, field="LaunchTime")
    assert caught.value.field == "LaunchTime"


# --------------------------------------------------------------------------- the ESS edge

NOW = at(2024, 1, 1, 12, 0)


def request_error(**fields: str | None) -> EssError:
    with pytest.raises(EssError) as caught:
        schedule_from_request(now=NOW, **fields)  # type: ignore[arg-type]  # str fields only
    return caught.value


def test_launch_time_exactly_ninety_days_ahead_is_accepted_and_one_minute_more_is_not() -> None:
    limit = NOW + timedelta(days=90)
    accepted = schedule_from_request(launch_time=format_wire_minute(limit), now=NOW)
    assert accepted.launch_time == limit
    error = request_error(launch_time=format_wire_minute(limit + timedelta(minutes=1)))
    assert (error.code, error.http_status) == ("InvalidParameter", 400)
    assert error.message == "The specified value of parameter LaunchTime is not valid."


def test_recurrence_end_time_beyond_ninety_days_is_rejected() -> None:
    error = request_error(launch_time="2024-01-02T00:00Z", recurrence_type="Daily", recurrence_value="1",
                          recurrence_end_time=format_wire_minute(NOW + timedelta(days=90, minutes=1)))
    assert error.message == "The specified value of parameter RecurrenceEndTime is not valid."


def test_missing_launch_time_is_missing_parameter() -> None:
    error = request_error(launch_time=None)
    assert error.code == "MissingParameter"
    assert "LaunchTime" in error.message


@pytest.mark.parametrize("missing", ["recurrence_type", "recurrence_value", "recurrence_end_time"])
def test_a_partial_recurrence_is_missing_parameter_naming_the_absent_field(missing: str) -> None:
    fields: dict[str, str | None] = {"launch_time": "2024-01-02T00:00Z", "recurrence_type": "Daily",
                                     "recurrence_value": "1", "recurrence_end_time": "2024-01-05T00:00Z"}
    fields[missing] = None
    error = request_error(**fields)
    wire_name = "".join(part.capitalize() for part in missing.split("_"))
    assert error.code == "MissingParameter"
    assert wire_name in error.message


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"launch_time": "2024-01-02 00:00"}, "LaunchTime"),
        ({"recurrence_type": "daily"}, "RecurrenceType"),
        ({"recurrence_value": "0"}, "RecurrenceValue"),
        ({"recurrence_end_time": "2024-01-01T23:00Z"}, "RecurrenceEndTime"),
        ({"recurrence_type": "Cron", "recurrence_value": "0 0 * * 2#9"}, "RecurrenceValue"),
    ],
)
def test_invalid_fields_are_invalid_parameter_naming_the_field(fields: dict[str, str], name: str) -> None:
    base = {"launch_time": "2024-01-02T00:00Z", "recurrence_type": "Daily", "recurrence_value": "1",
            "recurrence_end_time": "2024-01-05T00:00Z"}
    error = request_error(**(base | fields))
    assert error.code == "InvalidParameter"
    assert error.message == f"The specified value of parameter {name} is not valid."


def test_check_horizon_applies_to_modifications_at_their_own_time() -> None:
    schedule = Schedule(launch_time=at(2024, 5, 1))
    check_horizon(schedule, now=at(2024, 2, 1))
    with pytest.raises(EssError, match="LaunchTime"):
        check_horizon(schedule, now=at(2024, 1, 1), action="ModifyScheduledTask")


@pytest.mark.parametrize(("value", "expected"), [(None, 600), (0, 0), ("21600", 21600), (600, 600)])
def test_launch_expiration_time_default_and_bounds(value: str | int | None, expected: int) -> None:
    assert DEFAULT_LAUNCH_EXPIRATION == 600
    assert launch_expiration_from_request(value) == expected


@pytest.mark.parametrize("value", [-1, 21601, "21601", "-1", "1.5", "", True])
def test_launch_expiration_time_outside_its_range_is_invalid(value: str | int) -> None:
    with pytest.raises(EssError) as caught:
        launch_expiration_from_request(value)
    assert caught.value.message == "The specified value of parameter LaunchExpirationTime is not valid."
