"""Parsing of Prometheus HTTP API answers into samples and replay arrays.

Pure functions over bytes, so that every malformed answer can be tested without a
server. For instant queries nothing here raises: :class:`PromAnswerError` is caught
by the caller and becomes an error sample. Range queries (offline replays) let it
through as :class:`~autoscaler.metrics.MetricsError`.

The API shape (https://prometheus.io/docs/prometheus/latest/querying/api/)::

    {"status": "success", "data": {"resultType": "vector",
      "result": [{"metric": {"instance_id": "i-1"}, "value": [1700000000.1, "0.5"]}]}}
    {"status": "error", "errorType": "bad_data", "error": "parse error ..."}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from autoscaler.metrics._sample import MetricsError

__all__ = ["InstantResult", "PromAnswerError", "SeriesPoints", "parse_instant", "parse_range"]

_MAX_REASON = 300


class PromAnswerError(MetricsError):
    """Prometheus answered something we cannot use; the message says what."""


@dataclass(frozen=True, slots=True)
class InstantResult:
    """A validated instant-query answer: per-series values and the oldest timestamp."""

    values: Mapping[str, float]  # key: instance label value, "" for a single unlabelled series
    timestamp: datetime | None  # None for an empty vector
    labelled: bool


@dataclass(frozen=True, slots=True)
class SeriesPoints:
    """One series of a range answer."""

    key: str
    times: list[float]
    values: list[float]


def _short(text: str) -> str:
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON] + "..."


def _load(status_code: int, body: bytes) -> Mapping[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        snippet = body[:80].decode("utf-8", "replace")
        raise PromAnswerError(f"HTTP {status_code}: body is not JSON: {_short(snippet)!r}") from None
    if not isinstance(document, dict):
        raise PromAnswerError(f"HTTP {status_code}: body is not a JSON object")
    status = document.get("status")
    if status == "error":
        kind = document.get("errorType", "unknown")
        raise PromAnswerError(f"HTTP {status_code}: prometheus error {kind}: {_short(str(document.get('error', '')))}")
    if status != "success":
        raise PromAnswerError(f"HTTP {status_code}: status: expected 'success' (got {_short(repr(status))})")
    if status_code != 200:
        raise PromAnswerError(f"HTTP {status_code}: unexpected status code with a success body")
    data = document.get("data")
    if not isinstance(data, dict):
        raise PromAnswerError("data: missing or not an object")
    return data


def _point(raw: object, where: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise PromAnswerError(f"{where}: expected [timestamp, \"value\"] (got {_short(repr(raw))})")
    stamp, text = raw
    if isinstance(stamp, bool) or not isinstance(stamp, int | float) or not math.isfinite(stamp):
        raise PromAnswerError(f"{where}: timestamp is not a number (got {_short(repr(stamp))})")
    if not isinstance(text, str):
        raise PromAnswerError(f"{where}: value must be a string (got {_short(repr(text))})")
    try:
        value = float(text)
    except ValueError:
        raise PromAnswerError(f"{where}: value is not a number (got {_short(repr(text))})") from None
    return float(stamp), value


def _series_key(item: Mapping[str, Any], label: str, where: str) -> str | None:
    metric = item.get("metric", {})
    if not isinstance(metric, dict):
        raise PromAnswerError(f"{where}.metric: not an object")
    key = metric.get(label)
    if key is not None and not isinstance(key, str):
        raise PromAnswerError(f"{where}.metric.{label}: not a string")
    return key


def _keys(raw_keys: Sequence[str | None], label: str) -> tuple[list[str], bool]:
    if len(raw_keys) == 1 and raw_keys[0] is None:
        return [""], False
    if any(key is None for key in raw_keys):
        raise PromAnswerError(
            f"{len(raw_keys)} series, and some lack the label {label!r}; aggregate in PromQL "
            f"(e.g. avg by ({label}) (...)) or set instance_label"
        )
    keys = [key for key in raw_keys if key is not None]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise PromAnswerError(
            f"several series for {label}={duplicates[0]!r}; aggregate in PromQL (e.g. avg by ({label}) (...))"
        )
    return keys, True


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def parse_instant(status_code: int, body: bytes, *, instance_label: str) -> InstantResult:
    """Validate an ``/api/v1/query`` answer; scalar and vector results only."""
    data = _load(status_code, body)
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        stamp, value = _point(result, "data.result")
        _check_finite(value, "scalar result")
        return InstantResult(values={"": value}, timestamp=_stamp(stamp), labelled=False)
    if kind != "vector":
        raise PromAnswerError(
            f"data.resultType: expected scalar or vector (got {_short(repr(kind))}); use an instant expression"
        )
    if not isinstance(result, list):
        raise PromAnswerError("data.result: expected a list for a vector")
    if not result:
        return InstantResult(values={}, timestamp=None, labelled=False)
    raw_keys: list[str | None] = []
    points: list[tuple[float, float]] = []
    for index, item in enumerate(result):
        where = f"data.result[{index}]"
        if not isinstance(item, dict):
            raise PromAnswerError(f"{where}: not an object")
        raw_keys.append(_series_key(item, instance_label, where))
        points.append(_point(item.get("value"), f"{where}.value"))
    keys, labelled = _keys(raw_keys, instance_label)
    for key, (_, value) in zip(keys, points, strict=True):
        _check_finite(value, f"series {instance_label}={key!r}" if labelled else "the series")
    oldest = min(stamp for stamp, _ in points)
    values = {key: value for key, (_, value) in zip(keys, points, strict=True)}
    return InstantResult(values=values, timestamp=_stamp(oldest), labelled=labelled)


def _check_finite(value: float, what: str) -> None:
    if not math.isfinite(value):
        raise PromAnswerError(f"{what} is {value} (not a finite number)")


def parse_range(status_code: int, body: bytes, *, instance_label: str) -> list[SeriesPoints]:
    """Validate an ``/api/v1/query_range`` answer (a matrix); NaN points are kept as gaps."""
    data = _load(status_code, body)
    if data.get("resultType") != "matrix":
        raise PromAnswerError(f"data.resultType: expected matrix (got {_short(repr(data.get('resultType')))})")
    result = data.get("result")
    if not isinstance(result, list):
        raise PromAnswerError("data.result: expected a list for a matrix")
    raw_keys: list[str | None] = []
    series: list[tuple[list[float], list[float]]] = []
    for index, item in enumerate(result):
        where = f"data.result[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise PromAnswerError(f"{where}: expected an object with a 'values' list")
        raw_keys.append(_series_key(item, instance_label, where))
        pairs = [_point(raw, f"{where}.values[{n}]") for n, raw in enumerate(item["values"])]
        series.append(([stamp for stamp, _ in pairs], [value for _, value in pairs]))
    if not series:
        return []
    keys, _ = _keys(raw_keys, instance_label)
    return [SeriesPoints(key, times, values) for key, (times, values) in zip(keys, series, strict=True)]
