"""Aggregates reduce per-instance values, and ignore NaN gaps in replay matrices without warnings."""

from __future__ import annotations

import numpy as np
import pytest

from autoscaler.metrics import Aggregate

MATRIX = np.array([[1.0, np.nan, np.nan], [3.0, 4.0, np.nan]])


@pytest.mark.parametrize(
    ("aggregate", "values", "columns"),
    [
        (Aggregate.MEAN, 2.0, [2.0, 4.0, np.nan]),
        (Aggregate.SUM, 4.0, [4.0, 4.0, np.nan]),
        (Aggregate.MAX, 3.0, [3.0, 4.0, np.nan]),
        (Aggregate.MIN, 1.0, [1.0, 4.0, np.nan]),
    ],
)
def test_each_aggregate_reduces_values_and_columns(aggregate: Aggregate, values: float, columns: list[float]) -> None:
    assert aggregate.reduce([1.0, 3.0]) == values
    np.testing.assert_array_equal(aggregate.reduce_columns(MATRIX), columns)


def test_an_empty_matrix_reduces_to_nan_columns() -> None:
    np.testing.assert_array_equal(Aggregate.MEAN.reduce_columns(np.empty((0, 2))), [np.nan, np.nan])


def test_nothing_to_aggregate_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to aggregate"):
        Aggregate.SUM.reduce([])


def test_parsing_names_the_allowed_values() -> None:
    assert Aggregate.parse("max") is Aggregate.MAX
    with pytest.raises(ValueError, match=r"^aggregate: must be one of mean, sum, max, min \(got 'avg'\)"):
        Aggregate.parse("avg")
