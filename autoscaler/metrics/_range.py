"""A metric's history as numpy arrays, for replays (:class:`RangeResult`).

Prometheus answers a range query on the grid ``start + k * step``; every series is
placed on that grid with NaN for the steps where it had no value (Prometheus never
fills gaps, nor do we). Arrays are read-only so that a result can be shared between
a replay and its report without copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from autoscaler.metrics._aggregate import Aggregate

__all__ = ["RangeResult"]

FloatArray = npt.NDArray[np.float64]


def _frozen(array: FloatArray) -> FloatArray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True, kw_only=True)
class RangeResult:
    """``timestamps`` (epoch seconds), the aggregate ``values`` per step, and one row per instance.

    Example::

        result = await prometheus.query_range("cpu", start=t0, end=t1, step=timedelta(minutes=1))
        busiest = result.instances[int(np.nanargmax(result.per_instance[:, -1]))]
    """

    timestamps: FloatArray
    values: FloatArray
    instances: tuple[str, ...]
    per_instance: FloatArray  # shape (len(instances), len(timestamps))

    def __post_init__(self) -> None:
        steps = self.timestamps.shape[0]
        if self.values.shape != (steps,):
            raise ValueError(f"values: shape {self.values.shape} does not match {steps} timestamps")
        if self.per_instance.shape != (len(self.instances), steps):
            raise ValueError(f"per_instance: shape {self.per_instance.shape} != ({len(self.instances)}, {steps})")
        for array in (self.timestamps, self.values, self.per_instance):
            _frozen(array)

    @classmethod
    def on_grid(
        cls,
        grid: FloatArray,
        series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
        *,
        step: float,
        aggregate: Aggregate,
    ) -> RangeResult:
        """Place ``(key, times, values)`` series on ``grid``; key "" means one unlabelled series."""
        matrix = np.full((len(series), grid.shape[0]), np.nan)
        start = float(grid[0]) if grid.shape[0] else 0.0
        for row, (_, times, values) in enumerate(series):
            if not times:
                continue
            index = np.rint((np.asarray(times, dtype=np.float64) - start) / step).astype(np.int64)
            inside = (index >= 0) & (index < grid.shape[0])
            matrix[row, index[inside]] = np.asarray(values, dtype=np.float64)[inside]
        matrix[~np.isfinite(matrix)] = np.nan
        labelled = bool(series) and series[0][0] != ""
        instances = tuple(key for key, _, _ in series) if labelled else ()
        per_instance = matrix if labelled else np.empty((0, grid.shape[0]))
        return cls(timestamps=grid, values=aggregate.reduce_columns(matrix), instances=instances,
                   per_instance=per_instance)

    @classmethod
    def concatenate(cls, parts: Sequence[RangeResult]) -> RangeResult:
        """Join consecutive chunks (a long replay is fetched in pieces below Prometheus' 11,000-point cap)."""
        if not parts:
            raise ValueError("parts: nothing to concatenate")
        names = sorted({name for part in parts for name in part.instances})
        rows = []
        for part in parts:
            block = np.full((len(names), part.timestamps.shape[0]), np.nan)
            for row, name in enumerate(part.instances):
                block[names.index(name)] = part.per_instance[row]
            rows.append(block)
        return cls(
            timestamps=np.concatenate([part.timestamps for part in parts]),
            values=np.concatenate([part.values for part in parts]),
            instances=tuple(names),
            per_instance=np.concatenate(rows, axis=1),
        )
