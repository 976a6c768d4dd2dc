"""A CSV file as a metric source: ``timestamp,value[,more columns]``.

The format is that of ``shared/traces`` (their README): integer epoch seconds,
ascending and unique, one row per interval, gaps left as missing rows. The file is
read once into numpy; the value at ``now`` is the last row at or before ``now``
(a step-wise hold, which is what a scraper would have seen), *stale* when that row
is older than ``max_age``, *missing* before the first row. The reference names the
column (``"value"`` by default; an empty reference means ``"value"``).

Traces with relative time (seconds since the start of the trace) are placed on the
calendar with ``time_offset`` (seconds added to every timestamp).

Example::

    source = FileSource(Path("traces/nab_ec2.csv"), max_age=600)
    sample = await source.query("value", now=clock.now())
    times, values = source.series("value")          # whole history, for replays
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from autoscaler.clock import ensure_utc
from autoscaler.metrics._range import FloatArray
from autoscaler.metrics._sample import MetricSample, MetricsError

__all__ = ["FileSource"]

DEFAULT_COLUMN = "value"


def _parse_header(header: list[str] | None, where: str) -> list[str]:
    if not header:
        raise MetricsError(f"{where}:1: empty file (expected the header timestamp,value)")
    names = [name.strip() for name in header]
    if len(names) < 2 or names[0] != "timestamp":
        raise MetricsError(f"{where}:1: header must start with 'timestamp' and name at least one column (got {names})")
    if any(not name for name in names) or len(set(names)) != len(names):
        raise MetricsError(f"{where}:1: column names must be non-empty and unique (got {names})")
    return names


def _parse_rows(path: Path) -> tuple[list[str], FloatArray]:
    where = str(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            names = _parse_header(next(reader, None), where)
            rows: list[list[float]] = []
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(names):
                    raise MetricsError(f"{where}:{line}: expected {len(names)} fields, got {len(row)}")
                rows.append([_number(text, names[col], where, line) for col, text in enumerate(row)])
    except OSError as exc:
        raise MetricsError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise MetricsError(f"{where}: not UTF-8 text: {exc.reason}") from exc
    if not rows:
        raise MetricsError(f"{where}: no data rows")
    return names, np.asarray(rows, dtype=np.float64)


def _number(text: str, column: str, where: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MetricsError(f"{where}:{line}: {column}: not a number ({text.strip()[:40]!r})") from None
    if not math.isfinite(value):
        raise MetricsError(f"{where}:{line}: {column}: must be finite (got {text.strip()!r})")
    return value


class FileSource:
    """A :class:`~autoscaler.metrics.MetricSource` over a CSV time series, held in memory."""

    def __init__(self, path: Path, *, max_age: float = 600.0, time_offset: float = 0.0) -> None:
        if not max_age > 0 or not math.isfinite(max_age):
            raise MetricsError(f"max_age: must be a finite number of seconds > 0 (got {max_age})")
        if not math.isfinite(time_offset):
            raise MetricsError(f"time_offset: must be finite (got {time_offset})")
        names, table = _parse_rows(Path(path))
        times = table[:, 0] + time_offset
        steps = np.diff(times)
        if steps.size and not bool(np.all(steps > 0)):
            bad = int(np.argmin(steps > 0))
            raise MetricsError(f"{path}:{bad + 3}: timestamp: must be ascending and unique")
        self._path = Path(path)
        self._max_age = max_age
        self._times = times
        self._times.flags.writeable = False
        self._columns = {name: table[:, col] for col, name in enumerate(names) if col > 0}
        for array in self._columns.values():
            array.flags.writeable = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._columns)

    def series(self, column: str = DEFAULT_COLUMN) -> tuple[FloatArray, FloatArray]:
        """The whole history of ``column``: (epoch seconds, values), read-only arrays."""
        if column not in self._columns:
            raise MetricsError(f"column: {column!r} is not in {self._path} (columns: {', '.join(self._columns)})")
        return self._times, self._columns[column]

    async def query(self, ref: str, *, now: datetime) -> MetricSample:
        """The last value of column ``ref`` at or before ``now``."""
        return self.sample_at(ref, now=now)

    def sample_at(self, ref: str, *, now: datetime) -> MetricSample:
        """Synchronous :meth:`query`, for replays that walk the file step by step."""
        column = ref.strip() or DEFAULT_COLUMN
        values = self._columns.get(column)
        if values is None:
            return MetricSample.error(f"file: no column {column!r} in {self._path.name}")
        moment = ensure_utc(now, field="now").timestamp()
        index = int(np.searchsorted(self._times, moment, side="right")) - 1
        if index < 0:
            return MetricSample.missing(f"file: {self._path.name} starts after now")
        stamp = datetime.fromtimestamp(float(self._times[index]), UTC)
        value = float(values[index])
        age = moment - float(self._times[index])
        if age > self._max_age:
            reason = f"file: last row is {age:.0f} s old (max_age {self._max_age:g} s)"
            return MetricSample.stale(value, timestamp=stamp, reason=reason)
        return MetricSample.ok(value, timestamp=stamp)

    def __repr__(self) -> str:
        return f"FileSource({str(self._path)!r}, rows={self._times.shape[0]})"
