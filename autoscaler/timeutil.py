"""Pure time helpers shared by every layer (no clock reads here).

Kept apart from :mod:`autoscaler.clock` so that the pure policy engine, which must
not touch a clock (an import-linter contract), can still validate datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["ensure_utc"]


def ensure_utc(value: datetime, *, field: str = "time") -> datetime:
    """Return ``value`` in UTC; reject naive datetimes instead of guessing a zone."""
    if value.tzinfo is UTC:  # already UTC (the common case): astimezone(UTC) would return it as is
        return value
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{field}: naive datetime {value.isoformat()} (a timezone is required)")
    return value.astimezone(UTC)
