"""What a metric source returns: a :class:`MetricSample`, and the seam :class:`MetricSource`.

A query never raises for a bad answer from outside. Prometheus down, a malformed
response, a file that ends before ``now``: each becomes a sample whose ``status``
says what went wrong and whose ``reason`` says why, because the controller must keep
ticking (DESIGN.md: "missing or stale metrics never cause a scale-in") and the
policy layer decides what an unusable sample means. Exceptions are reserved for
programming and configuration errors (:class:`MetricsError`), raised at
construction, before the loop starts.

References are source-neutral strings: a PromQL expression for Prometheus, a column
name for a file, a signal name for the synthetic workload. The policy layer, which
sits above this package, maps its own metric references onto these strings, so this
package never imports it.

Example::

    sample = await source.query("avg(cpu_utilisation)", now=clock.now())
    if sample.usable:
        print(sample.value, dict(sample.per_instance))
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple, Protocol, runtime_checkable

from autoscaler.clock import ensure_utc

__all__ = ["MetricSample", "MetricSource", "MetricsError", "SampleStatus", "frozen_vector", "uniform_vector"]


class MetricsError(ValueError):
    """A metric source was configured wrongly (a bad URL, an unreadable file, ...).

    Raised at construction or on offline calls such as ``query_range``; never by
    :meth:`MetricSource.query`, which reports failures as a sample status.
    """


class SampleStatus(enum.Enum):
    """How far a sample can be trusted."""

    OK = "ok"
    MISSING = "missing"  # the source answered, but has no value (empty result, before the first row)
    STALE = "stale"  # a value exists but is older than the source's max age
    ERROR = "error"  # the source could not be asked or answered garbage


_OK = SampleStatus.OK  # bound once: read at every sample
_EMPTY: Mapping[str, float] = MappingProxyType({})
_checked: list[Mapping[str, float] | None] = [None]
"""The last mapping :func:`frozen_vector` or :func:`uniform_vector` made: a read-only view
of a private copy whose values were found finite, so a sample given the very same view
need not check again."""


def _check_finite(values: Mapping[str, float]) -> None:
    if not all(map(math.isfinite, values.values())):  # one C loop; name the bad one below
        for key, item in values.items():
            if not math.isfinite(item):
                raise ValueError(f"per_instance[{key!r}]: must be finite (got {item})")


def frozen_vector(values: Mapping[str, float]) -> Mapping[str, float]:
    """A read-only copy of per-instance ``values``, checked finite (ValueError names the bad one).

    A source that passes the same vector to several samples (a value held between
    reads) makes it once with this: the samples then skip the check.
    """
    if not values:
        return _EMPTY
    copy = dict(values)
    _check_finite(copy)
    return _mark_checked(MappingProxyType(copy))


def uniform_vector(instances: Iterable[str], value: float) -> Mapping[str, float]:
    """:func:`frozen_vector` of ``value`` for every one of ``instances`` (one figure measured
    on all of them), checking the value once rather than once per instance."""
    if not math.isfinite(value):
        raise ValueError(f"per_instance: must be finite (got {value})")
    copy = dict.fromkeys(instances, value)
    return _mark_checked(MappingProxyType(copy)) if copy else _EMPTY


def _mark_checked(frozen: Mapping[str, float]) -> Mapping[str, float]:
    _checked[0] = frozen
    return frozen


class _SampleFields(NamedTuple):
    status: SampleStatus
    value: float | None
    per_instance: Mapping[str, float]
    timestamp: datetime | None
    reason: str | None


class MetricSample(_SampleFields):
    """One reading of one metric reference.

    ``value`` is the scalar (or the aggregate of a vector); ``per_instance`` maps an
    instance id to its own value when the source returned one value per instance.
    ``timestamp`` is when the value was measured (``None`` when there is none).
    A sample with status OK always has a finite ``value``; ``reason`` explains every
    other status.

    Immutable and validated at construction (keywords only). A named tuple rather
    than a frozen dataclass: every source makes one per reference per tick.
    """

    __slots__ = ()

    def __new__(
        cls, *, status: SampleStatus, value: float | None = None, per_instance: Mapping[str, float] | None = None,
        timestamp: datetime | None = None, reason: str | None = None,
    ) -> MetricSample:
        if timestamp is not None:
            timestamp = ensure_utc(timestamp, field="timestamp")
        if value is not None and not math.isfinite(value):
            raise ValueError(f"value: must be finite (got {value})")
        if per_instance is None or not per_instance:
            per_instance = _EMPTY
        elif per_instance is _checked[0]:
            pass  # made (and checked) by frozen_vector or uniform_vector
        elif not isinstance(per_instance, MappingProxyType):
            per_instance = frozen_vector(per_instance)
        else:
            _check_finite(per_instance)  # a caller's own view: checked each time
        if status is _OK:
            if value is None:
                raise ValueError("value: an OK sample needs a value")
        elif not reason:
            raise ValueError(f"reason: a {status.value} sample needs a reason")
        return tuple.__new__(cls, (status, value, per_instance, timestamp, reason))

    @property
    def usable(self) -> bool:
        """True when a policy may act on this sample in both directions."""
        return self.status is _OK

    @classmethod
    def ok(
        cls, value: float, *, timestamp: datetime | None, per_instance: Mapping[str, float] | None = None
    ) -> MetricSample:
        return cls(status=_OK, value=value, timestamp=timestamp, per_instance=per_instance)

    @classmethod
    def missing(cls, reason: str, *, timestamp: datetime | None = None) -> MetricSample:
        return cls(status=SampleStatus.MISSING, reason=reason, timestamp=timestamp)

    @classmethod
    def error(cls, reason: str) -> MetricSample:
        return cls(status=SampleStatus.ERROR, reason=reason)

    @classmethod
    def stale(
        cls,
        value: float | None,
        *,
        timestamp: datetime | None,
        reason: str,
        per_instance: Mapping[str, float] | None = None,
    ) -> MetricSample:
        """A value kept for display and reports, marked so that nothing scales in on it."""
        return cls(
            status=SampleStatus.STALE,
            value=value,
            timestamp=timestamp,
            reason=reason,
            per_instance=per_instance,
        )


@runtime_checkable
class MetricSource(Protocol):
    """Anything that can read a metric reference at a point in time."""

    async def query(self, ref: str, *, now: datetime) -> MetricSample:
        """Read ``ref`` as of ``now``; failures are returned as a status, never raised."""
        ...
