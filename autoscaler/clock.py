"""Time as a dependency.

Everything that needs "now" receives a :class:`Clock`. The live controller and the
emulator's HTTP front use :class:`SystemClock`; tests and replays use
:class:`VirtualClock`, which only moves when told to, so nothing ever sleeps to
make time pass. All times are timezone-aware UTC datetimes: a naive datetime is a
bug and is rejected, never assumed local.

Example::

    clock = VirtualClock(datetime(2024, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(minutes=5))
    assert clock.now() == datetime(2024, 1, 1, 0, 5, tzinfo=UTC)
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from autoscaler.timeutil import ensure_utc

__all__ = ["Clock", "SystemClock", "VirtualClock", "ensure_utc"]


@runtime_checkable
class Clock(Protocol):
    """Source of the current time (UTC) and of monotonic durations."""

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for measuring durations."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock that moves only when :meth:`advance` or :meth:`set` is called."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start, field="start")
        self._origin = self._now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return (self._now - self._origin).total_seconds()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds); never backwards."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError(f"delta: a clock never goes back (got {step})")
        self._now += step
        return self._now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when``, which must not be earlier than now."""
        target = ensure_utc(when, field="when")
        if target < self._now:
            raise ValueError(f"when: {target.isoformat()} is before now {self._now.isoformat()}")
        self._now = target
        return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self._now.isoformat()})"
