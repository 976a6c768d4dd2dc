"""MetricSample is a validated value: an OK sample has a finite value, any other status a reason."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from types import MappingProxyType

import pytest

from autoscaler.metrics import (
    MetricSample,
    MetricSource,
    SampleStatus,
    SyntheticWorkload,
    frozen_vector,
    uniform_vector,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_an_ok_sample_is_usable_and_frozen() -> None:
    sample = MetricSample.ok(0.5, timestamp=NOW, per_instance={"i-1": 0.5})
    assert sample.usable and sample.per_instance["i-1"] == 0.5
    with pytest.raises(AttributeError):
        sample.value = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        sample.per_instance["i-2"] = 1.0  # type: ignore[index]


def test_the_per_instance_mapping_is_a_copy() -> None:
    values = {"i-1": 1.0}
    sample = MetricSample.ok(1.0, timestamp=NOW, per_instance=values)
    values["i-2"] = 2.0
    assert dict(sample.per_instance) == {"i-1": 1.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": SampleStatus.OK}, "^value: an OK sample"),
        ({"status": SampleStatus.OK, "value": float("nan")}, "^value: must be finite"),
        ({"status": SampleStatus.OK, "value": 1.0, "per_instance": {"i": float("inf")}}, r"^per_instance\['i'\]"),
        ({"status": SampleStatus.ERROR}, "^reason"),
        ({"status": SampleStatus.OK, "value": 1.0, "timestamp": datetime(2026, 1, 1)}, "^timestamp: naive"),
    ],
)
def test_an_invalid_sample_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MetricSample(**kwargs)  # type: ignore[arg-type]


def test_stale_missing_and_error_samples_are_not_usable() -> None:
    assert not MetricSample.stale(1.0, timestamp=NOW, reason="old").usable
    assert not MetricSample.missing("none").usable
    assert not MetricSample.error("down").usable


def test_the_sources_satisfy_the_protocol() -> None:
    import numpy as np

    from autoscaler.metrics import WorkloadShape

    assert isinstance(SyntheticWorkload(WorkloadShape(), rng=np.random.default_rng(0)), MetricSource)


def test_frozen_vector_is_a_checked_read_only_copy_shared_by_samples() -> None:
    values = {"i-1": 50.0, "i-2": 70.0}
    vector = frozen_vector(values)
    values["i-3"] = math.nan  # the caller's dict is not the vector
    first = MetricSample.ok(60.0, timestamp=None, per_instance=vector)
    second = MetricSample.ok(60.0, timestamp=None, per_instance=vector)
    assert first.per_instance is vector and second.per_instance is vector
    assert dict(vector) == {"i-1": 50.0, "i-2": 70.0}
    with pytest.raises(TypeError):
        vector["i-1"] = 0.0  # type: ignore[index]
    with pytest.raises(ValueError, match=r"per_instance\['i-3'\]"):
        frozen_vector(values)


def test_uniform_vector_is_frozen_vector_of_one_value_for_every_instance() -> None:
    ids = ("i-1", "i-2", "i-3")
    vector = uniform_vector(ids, 42.5)
    assert vector == frozen_vector(dict.fromkeys(ids, 42.5))
    assert list(vector) == list(ids)  # the instances' order is kept
    sample = MetricSample.ok(42.5, timestamp=None, per_instance=vector)
    assert sample.per_instance is vector  # checked once, shared uncopied
    with pytest.raises(TypeError):
        vector["i-1"] = 0.0  # type: ignore[index]
    assert uniform_vector((), 42.5) == {}
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="per_instance: must be finite"):
            uniform_vector(ids, bad)


def test_a_callers_own_read_only_view_is_checked_every_time() -> None:
    backing = {"i-1": 50.0}
    view = MappingProxyType(backing)
    MetricSample.ok(50.0, timestamp=None, per_instance=view)
    backing["i-2"] = math.inf  # the caller changed what its view shows
    with pytest.raises(ValueError, match=r"per_instance\['i-2'\]"):
        MetricSample.ok(50.0, timestamp=None, per_instance=view)
