"""Properties of the capacity arithmetic, against an independent float-free reference."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from autoscaler.ess import AdjustmentType, NoChangeError, apply_adjustment


def _reference(total: int, lo: int, hi: int, kind: AdjustmentType, value: int, mam: int | None) -> int:
    if kind is AdjustmentType.TOTAL:
        change = value - total
    elif kind is AdjustmentType.QUANTITY:
        change = value
    else:
        exact = Decimal(total) * Decimal(value) / Decimal(100)
        change = int(exact.copy_abs().quantize(Decimal(1), rounding=ROUND_HALF_UP)) * (1 if exact >= 0 else -1)
        if mam is not None and value != 0 and abs(change) < mam:
            change = mam if value > 0 else -mam
    change = max(-500, min(500, change))
    return max(lo, min(hi, total + change))


groups = st.tuples(st.integers(0, 1000), st.integers(0, 1000)).map(sorted)
kinds = st.sampled_from(list(AdjustmentType))


@given(groups, st.integers(0, 1100), kinds, st.integers(-500, 10000), st.none() | st.integers(1, 50))
def test_result_matches_reference_and_stays_within_bounds(
    bounds: list[int], total: int, kind: AdjustmentType, value: int, mam: int | None
) -> None:
    lo, hi = bounds
    expected = _reference(total, lo, hi, kind, value, mam)
    try:
        result = apply_adjustment(total=total, min_size=lo, max_size=hi, adjustment_type=kind,
                                  value=value, min_adjustment_magnitude=mam)
    except NoChangeError:
        assert expected == total
        return
    assert result.target == expected
    assert lo <= result.target <= hi
    assert abs(result.delta) <= 500 or result.limited_by[-1] in ("min_size", "max_size")


@given(groups, st.integers(0, 1000), st.integers(1, 10000))
def test_positive_percent_never_shrinks_and_negative_never_grows(bounds: list[int], total: int, value: int) -> None:
    lo, hi = bounds
    total = max(lo, min(hi, total))
    for sign in (1, -1):
        try:
            signed = sign * (min(value, 100) if sign < 0 else value)
            result = apply_adjustment(total=total, min_size=lo, max_size=hi,
                                      adjustment_type=AdjustmentType.PERCENT, value=signed)
        except NoChangeError:
            continue
        assert (result.delta > 0) == (sign > 0)
