"""How a per-instance vector becomes one value (mean, sum, max or min).

Target tracking on CPU wants the mean across serving instances, a request rate
wants the sum, a latency guard the max; the choice belongs to the source's
settings so that the policy layer always receives one number plus the detail.
The numpy variant ignores gaps (NaN) without emitting warnings, because the test
suite runs with warnings as errors and a replay step with no series is normal.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["Aggregate"]


class Aggregate(enum.Enum):
    """The reduction applied to per-instance values."""

    MEAN = "mean"
    SUM = "sum"
    MAX = "max"
    MIN = "min"

    @classmethod
    def parse(cls, value: str, *, field: str = "aggregate") -> Aggregate:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(item.value for item in cls)
            raise ValueError(f"{field}: must be one of {allowed} (got {value!r})") from None

    def reduce(self, values: Iterable[float]) -> float:
        """Reduce a non-empty collection of finite values."""
        items = list(values)
        if not items:
            raise ValueError("values: nothing to aggregate")
        if self is Aggregate.MEAN:
            return sum(items) / len(items)
        if self is Aggregate.SUM:
            return float(sum(items))
        if self is Aggregate.MAX:
            return max(items)
        return min(items)

    def reduce_columns(self, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Reduce a (series x steps) matrix along the series axis, ignoring NaN gaps.

        A step where no series has a value stays NaN.
        """
        if matrix.shape[0] == 0:
            return np.full(matrix.shape[1], np.nan)
        present = ~np.isnan(matrix)
        count = present.sum(axis=0)
        if self is Aggregate.MAX:
            return np.asarray(np.fmax.reduce(matrix, axis=0), dtype=np.float64)
        if self is Aggregate.MIN:
            return np.asarray(np.fmin.reduce(matrix, axis=0), dtype=np.float64)
        total = np.where(present, matrix, 0.0).sum(axis=0)
        if self is Aggregate.SUM:
            return np.where(count > 0, total, np.nan)
        safe = np.maximum(count, 1)
        return np.where(count > 0, total / safe, np.nan)
