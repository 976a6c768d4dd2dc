"""Capacity arithmetic: the documented examples and boundaries."""

from __future__ import annotations

from fractions import Fraction

import pytest

from autoscaler.ess import (
    AdjustmentType,
    EssError,
    NoChangeError,
    apply_adjustment,
    round_half_away_from_zero,
    validate_adjustment,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(5, 2), 3), (Fraction(-5, 2), -3), (Fraction(3, 2), 2), (Fraction(-3, 2), -2),
     (Fraction(49, 100), 0), (Fraction(-51, 100), -1), (0, 0), (7, 7)],
)
def test_rounding_goes_half_away_from_zero(value: Fraction, expected: int) -> None:
    assert round_half_away_from_zero(value) == expected


def test_documented_max_example_adds_only_up_to_max_size() -> None:
    # CreateScalingRule: MaxSize=3, TotalCapacity=2, rule "add 3" -> only 1 added.
    result = apply_adjustment(total=2, min_size=0, max_size=3,
                              adjustment_type=AdjustmentType.QUANTITY, value=3)
    assert result.target == 3
    assert result.limited_by == ("max_size",)


def test_documented_min_example_removes_only_down_to_min_size() -> None:
    # CreateScalingRule: MinSize=2, TotalCapacity=3, rule "remove 5" -> only 1 removed.
    result = apply_adjustment(total=3, min_size=2, max_size=10,
                              adjustment_type=AdjustmentType.QUANTITY, value=-5)
    assert result.target == 2
    assert result.delta == -1


def test_percent_ending_in_half_rounds_away_from_zero() -> None:
    # 5 * 50 / 100 = 2.5 -> 3 (Python's round would give 2)
    up = apply_adjustment(total=5, min_size=0, max_size=100,
                          adjustment_type=AdjustmentType.PERCENT, value=50)
    assert up.target == 8
    down = apply_adjustment(total=5, min_size=0, max_size=100,
                            adjustment_type=AdjustmentType.PERCENT, value=-50)
    assert down.target == 2


def test_min_adjustment_magnitude_raises_small_percent_changes() -> None:
    result = apply_adjustment(total=4, min_size=0, max_size=100,
                              adjustment_type=AdjustmentType.PERCENT, value=10,
                              min_adjustment_magnitude=2)
    assert result.target == 6
    assert "min_adjustment_magnitude" in result.limited_by


def test_total_capacity_sets_the_count() -> None:
    result = apply_adjustment(total=4, min_size=0, max_size=100,
                              adjustment_type=AdjustmentType.TOTAL, value=9)
    assert (result.target, result.delta) == (9, 5)


def test_change_is_limited_to_500_per_execution() -> None:
    result = apply_adjustment(total=0, min_size=0, max_size=1000,
                              adjustment_type=AdjustmentType.TOTAL, value=1000)
    assert result.target == 500
    assert result.limited_by == ("max_change_per_execution",)


def test_no_change_raises_the_documented_error() -> None:
    with pytest.raises(NoChangeError) as info:
        apply_adjustment(total=3, min_size=3, max_size=3,
                         adjustment_type=AdjustmentType.QUANTITY, value=1)
    assert info.value.code == "IncorrectCapacity.NoChange"
    assert info.value.http_status == 400
    assert info.value.message == "To execute the specified scaling rule, the total capacity will not change."


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [(AdjustmentType.QUANTITY, (-500, 500), (-501, 501)),
     (AdjustmentType.PERCENT, (-100, 10000), (-101, 10001)),
     (AdjustmentType.TOTAL, (0, 1000), (-1, 1001))],
)
def test_adjustment_value_ranges_are_the_documented_ones(
    kind: AdjustmentType, good: tuple[int, int], bad: tuple[int, int]
) -> None:
    for value in good:
        validate_adjustment(kind, value)
    for value in bad:
        with pytest.raises(EssError) as info:
            validate_adjustment(kind, value)
        assert info.value.code == "InvalidParameter"
        assert "AdjustmentValue" in info.value.message
