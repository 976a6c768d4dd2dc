"""Capacity arithmetic of ESS scaling rules, exactly as the reference documents it.

One implementation serves the emulator (what ``ExecuteScalingRule`` does), the
controller (what a decision will do before it is sent) and the replays, so that a
prediction and the service agree to the instance.

- ``QuantityChangeInCapacity`` adds ``value`` instances;
- ``PercentChangeInCapacity`` adds ``TotalCapacity * value / 100`` rounded half away
  from zero (exact rational arithmetic; never Python's ``round``, which rounds half to
  even), and at least ``MinAdjustmentMagnitude`` instances when that is set;
- ``TotalCapacity`` sets the count to ``value``.

The change is limited to 500 instances per execution, and the result is clamped to
``[MinSize, MaxSize]``. A result equal to the current total raises
``IncorrectCapacity.NoChange``.

Example::

    >>> apply_adjustment(total=3, min_size=1, max_size=10,
    ...                  adjustment_type=AdjustmentType.PERCENT, value=50).target
    5
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from autoscaler.ess.errors import ess_error

__all__ = [
    "ADJUSTMENT_RANGES",
    "MAX_CHANGE_PER_EXECUTION",
    "AdjustmentResult",
    "AdjustmentType",
    "apply_adjustment",
    "clamp",
    "round_half_away_from_zero",
    "validate_adjustment",
]

MAX_CHANGE_PER_EXECUTION = 500
"""The reference: "at most 500 instances are added or removed per execution"."""


class AdjustmentType(StrEnum):
    QUANTITY = "QuantityChangeInCapacity"
    PERCENT = "PercentChangeInCapacity"
    TOTAL = "TotalCapacity"


ADJUSTMENT_RANGES: dict[AdjustmentType, tuple[int, int]] = {
    AdjustmentType.QUANTITY: (-500, 500),
    AdjustmentType.PERCENT: (-100, 10000),
    AdjustmentType.TOTAL: (0, 1000),
}
"""Documented AdjustmentValue ranges (CreateScalingRule), inclusive."""


def round_half_away_from_zero(value: Fraction | int) -> int:
    """Round to the nearest integer; halves go away from zero (2.5 -> 3, -2.5 -> -3)."""
    frac = Fraction(value)
    magnitude = (abs(frac) + Fraction(1, 2)).__floor__()
    return magnitude if frac >= 0 else -magnitude


def clamp(value: int, min_size: int, max_size: int) -> int:
    """Clamp ``value`` to ``[min_size, max_size]``."""
    return max(min_size, min(max_size, value))


def validate_adjustment(adjustment_type: AdjustmentType, value: int) -> None:
    """Raise ``InvalidParameter`` naming ``AdjustmentValue`` when out of its range."""
    low, high = ADJUSTMENT_RANGES[adjustment_type]
    if not low <= value <= high:
        raise ess_error("InvalidParameter", name="AdjustmentValue")


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustmentResult:
    """What executing a rule does to a group of ``total`` instances.

    ``raw`` is the target before any limit; ``limited_by`` names each limit that
    changed it (``min_adjustment_magnitude``, ``max_change_per_execution``,
    ``min_size``, ``max_size``), in the order applied.
    """

    total: int
    raw: int
    target: int
    limited_by: tuple[str, ...]

    @property
    def delta(self) -> int:
        return self.target - self.total


def apply_adjustment(
    *,
    total: int,
    min_size: int,
    max_size: int,
    adjustment_type: AdjustmentType,
    value: int,
    min_adjustment_magnitude: int | None = None,
) -> AdjustmentResult:
    """Compute the new TotalCapacity; raise ``IncorrectCapacity.NoChange`` if unchanged."""
    if total < 0 or min_size < 0 or max_size < min_size:
        raise ValueError(f"inconsistent group: total={total} min={min_size} max={max_size}")
    limited: list[str] = []
    if adjustment_type is AdjustmentType.TOTAL:
        change = value - total
    elif adjustment_type is AdjustmentType.QUANTITY:
        change = value
    else:
        change = round_half_away_from_zero(Fraction(total * value, 100))
        if min_adjustment_magnitude is not None and value != 0 and abs(change) < min_adjustment_magnitude:
            change = min_adjustment_magnitude if value > 0 else -min_adjustment_magnitude
            limited.append("min_adjustment_magnitude")
    raw = total + change
    if abs(change) > MAX_CHANGE_PER_EXECUTION:
        change = MAX_CHANGE_PER_EXECUTION if change > 0 else -MAX_CHANGE_PER_EXECUTION
        limited.append("max_change_per_execution")
    target = total + change
    if target < min_size:
        target = min_size
        limited.append("min_size")
    elif target > max_size:
        target = max_size
        limited.append("max_size")
    if target == total:
        raise ess_error("IncorrectCapacity.NoChange")
    return AdjustmentResult(total=total, raw=raw, target=target, limited_by=tuple(limited))
