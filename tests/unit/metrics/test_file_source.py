"""FileSource holds the last row at or before now, and refuses files it cannot trust."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autoscaler.metrics import FileSource, MetricsError, SampleStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)
S0 = int(T0.timestamp())


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text(text)
    return path


def _source(tmp_path: Path, **kwargs: float) -> FileSource:
    rows = "\n".join(f"{S0 + 60 * n},{n}.5,{10 * n}" for n in range(5))
    return FileSource(_write(tmp_path, f"timestamp,value,rps\n{rows}\n"), **kwargs)


def test_the_value_at_now_is_the_last_row_at_or_before_now(tmp_path: Path) -> None:
    source = _source(tmp_path)
    at_row = asyncio.run(source.query("value", now=T0 + timedelta(minutes=2)))
    between = asyncio.run(source.query("value", now=T0 + timedelta(minutes=2, seconds=59)))
    assert at_row.value == 2.5 and between.value == 2.5
    assert between.timestamp == T0 + timedelta(minutes=2)
    assert at_row.status is SampleStatus.OK


def test_other_columns_are_read_by_name_and_empty_means_value(tmp_path: Path) -> None:
    source = _source(tmp_path)
    assert source.sample_at("rps", now=T0 + timedelta(minutes=3)).value == 30.0
    assert source.sample_at("", now=T0).value == 0.5
    assert source.columns == ("value", "rps")


def test_before_the_first_row_the_value_is_missing(tmp_path: Path) -> None:
    sample = _source(tmp_path).sample_at("value", now=T0 - timedelta(seconds=1))
    assert sample.status is SampleStatus.MISSING and sample.value is None


def test_after_max_age_the_last_value_is_stale(tmp_path: Path) -> None:
    source = _source(tmp_path, max_age=120)
    fresh = source.sample_at("value", now=T0 + timedelta(minutes=6))
    stale = source.sample_at("value", now=T0 + timedelta(minutes=6, seconds=1))
    assert fresh.status is SampleStatus.OK
    assert stale.status is SampleStatus.STALE and stale.value == 4.5


def test_an_unknown_column_is_an_error_sample(tmp_path: Path) -> None:
    sample = _source(tmp_path).sample_at("latency", now=T0)
    assert sample.status is SampleStatus.ERROR and "latency" in (sample.reason or "")


def test_a_time_offset_places_a_relative_trace_on_the_calendar(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,value\n0,1\n60,2\n")
    source = FileSource(path, time_offset=S0)
    assert source.sample_at("value", now=T0 + timedelta(seconds=61)).value == 2.0


def test_the_whole_series_is_available_as_read_only_arrays(tmp_path: Path) -> None:
    times, values = _source(tmp_path).series("rps")
    assert list(values) == [0, 10, 20, 30, 40] and times[0] == S0
    assert not values.flags.writeable
    with pytest.raises(MetricsError, match="column"):
        _source(tmp_path).series("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ":1: empty file"),
        ("time,value\n1,2\n", ":1: header must start with 'timestamp'"),
        ("timestamp\n1\n", ":1: header"),
        ("timestamp,value,value\n1,2,3\n", "unique"),
        ("timestamp,value\n", "no data rows"),
        ("timestamp,value\n1,2\n2\n", ":3: expected 2 fields"),
        ("timestamp,value\n1,abc\n", ":2: value: not a number"),
        ("timestamp,value\n1,nan\n", ":2: value: must be finite"),
        ("timestamp,value\n1,2\n1,3\n", ":3: timestamp: must be ascending"),
        ("timestamp,value\n5,2\n6,3\n4,3\n", ":4: timestamp: must be ascending"),
    ],
)
def test_a_broken_file_is_refused_naming_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MetricsError, match=message.replace("(", r"\(")):
        FileSource(_write(tmp_path, text))


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MetricsError, match="cannot read"):
        FileSource(tmp_path / "absent.csv")


def test_a_shared_trace_loads_and_answers(shared_dir: Path) -> None:
    path = shared_dir / "traces" / "nab_ec2_cpu_utilization_fe7f93.csv"
    source = FileSource(path, max_age=300)
    first = datetime.fromtimestamp(1392388020, UTC)
    assert source.sample_at("value", now=first + timedelta(seconds=299)).value == 2.296
    assert source.series()[0].shape == (4032,)
