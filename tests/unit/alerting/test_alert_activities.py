"""Scaling activities become ESS-style notification events once per change, never re-announced after a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from autoscaler.alerting import ActivityWatcher, NotificationType
from autoscaler.alerting.activities import direction_of
from autoscaler.ess.model import ScalingActivity

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Act:
    scaling_activity_id: str
    status_code: str | None
    description: str | None = 'Add "2" ECS instance(s)'
    cause: str | None = "A user executes a scaling rule"
    status_message: str | None = None


def test_the_first_look_is_a_baseline_and_later_changes_are_announced_once() -> None:
    watcher = ActivityWatcher(region_id="cn-hangzhou")
    assert watcher.observe("asg-1", [Act("asa-old", "Successful"), Act("asa-1", "InProgress")], now=NOW) == []
    new = Act("asa-2", "InProgress", description='Remove "1" ECS instance(s)')
    started = watcher.observe("asg-1", [Act("asa-1", "InProgress"), new], now=NOW, own={"asa-2"})
    assert [(e.type, e.activity_id, e.origin) for e in started] == [
        (NotificationType.SCALE_IN_START, "asa-2", "controller")]
    ended = watcher.observe("asg-1", [Act("asa-1", "Successful"), Act("asa-2", "Failed", status_message="boom",
                                                                      description=new.description)], now=NOW)
    assert [(e.type, e.origin, e.error_message) for e in ended] == [
        (NotificationType.SCALE_OUT_SUCCESS, "observed", None),
        (NotificationType.SCALE_IN_ERROR, "observed", "boom"),
    ]
    assert watcher.observe("asg-1", [Act("asa-1", "Successful")], now=NOW) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [("Successful", NotificationType.SCALE_OUT_SUCCESS), ("Warning", NotificationType.SCALE_OUT_SUCCESS),
     ("Failed", NotificationType.SCALE_OUT_ERROR), ("Rejected", NotificationType.SCALE_REJECT)],
)
def test_final_states_map_to_the_documented_types(status: str, expected: NotificationType) -> None:
    watcher = ActivityWatcher()
    watcher.observe("g", [], now=NOW)
    [event] = watcher.observe("g", [Act("asa-1", status)], now=NOW)
    assert event.type is expected and event.time == NOW


def test_the_direction_comes_from_the_ess_description() -> None:
    real = ScalingActivity(scaling_activity_id="asa-1", description='Add "1" ECS instance(s)', status_code="InProgress")
    assert direction_of(real) == "out"
    assert direction_of(Act("a", None, description='Remove "3" ECS instances')) == "in"
    assert direction_of(Act("a", None, description="Modify something")) is None


def test_memory_is_bounded_per_group() -> None:
    watcher = ActivityWatcher(memory=2)
    watcher.observe("g", [], now=NOW)
    watcher.observe("g", [Act(f"asa-{n}", "Successful") for n in range(3)], now=NOW)
    # asa-0 was forgotten: listing it again announces it again (ESS lists newest first, so this is rare)
    assert [e.activity_id for e in watcher.observe("g", [Act("asa-0", "Successful")], now=NOW)] == ["asa-0"]
