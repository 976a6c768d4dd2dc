"""MetricSample is a validated value: an OK sample has a finite value, any other status a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autoscaler.metrics import MetricSample, MetricSource, SampleStatus, SyntheticWorkload

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
