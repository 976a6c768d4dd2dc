"""INSTANCE_MODEL_FIELDS names exactly the record fields that instance_model reads (a cache key)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from autoscaler.emulator._state import ScalingInstanceRecord
from autoscaler.emulator.describe import INSTANCE_MODEL_FIELDS, instance_model

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

OTHER = {
    "instance_id": "i-other", "group_id": "asg-other", "zone": "cn-hangzhou-i", "creation_time": T0 + timedelta(1),
    "creation_type": "Attached", "seq": 99, "configuration_id": "asc-other", "lifecycle_state": "InService",
    "health_status": "Unhealthy", "load_balancer_weight": 7, "activity_id": "asa-other", "in_hook_wait": True,
    "remove_policy": "recycle",
}


def test_the_model_changes_exactly_when_a_listed_field_does() -> None:
    record = ScalingInstanceRecord(instance_id="i-1", group_id="asg-1", zone="cn-hangzhou-h", creation_time=T0,
                                   creation_type="AutoCreated", seq=1, configuration_id="asc-1")
    base = instance_model(record)
    names = {f.name for f in dataclasses.fields(ScalingInstanceRecord)}
    assert set(OTHER) == names  # a new record field must be classified here
    for name in names:
        changed = instance_model(dataclasses.replace(record, **{name: OTHER[name]}))
        assert (changed != base) == (name in INSTANCE_MODEL_FIELDS), name
