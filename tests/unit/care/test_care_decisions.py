"""Pure parts of instance care: hysteresis, batches, zone imbalance, bounding a decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autoscaler.controller.care import CareReport, bound_decision, merge_reports, zone_imbalance
from autoscaler.controller.care.busy import BusySettings, batches, plan_protection
from autoscaler.controller.care.maintenance import MaintenanceSettings, pending_events
from autoscaler.policy.model import Action, Decision, Direction, GroupMemory, LimitKind, MetricRef, PolicyMemory

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SETTINGS = BusySettings(metric=MetricRef.prometheus("jobs"), busy_above=0, idle_at_or_below=0, idle_ticks=3)
ACTED = GroupMemory(policies={"cpu": PolicyMemory(observing_since=NOW)})
KEPT = GroupMemory()


def _decision(total: int, target: int | None, direction: Direction) -> Decision:
    action = Action.NONE if target is None else Action.SET_CAPACITY
    return Decision(now=NOW, action=action, direction=direction, total=total, target=target, execution=None,
                    policy="cpu", proposals=(), limits=(), memory=ACTED, memory_unexecuted=KEPT)


def test_a_busy_instance_is_protected_at_once_and_unprotected_only_after_idle_ticks() -> None:
    protect, unprotect, counts = plan_protection(SETTINGS, protected=set(), unprotected={"a", "b"},
                                                 values={"a": 2, "b": 0}, idle_counts={})
    assert (protect, unprotect) == (["a"], [])
    for tick in range(1, 3):
        protect, unprotect, counts = plan_protection(SETTINGS, protected={"a"}, unprotected={"b"},
                                                     values={"a": 0, "b": 0}, idle_counts=counts)
        assert (protect, unprotect, counts) == ([], [], {"a": tick})
    protect, unprotect, counts = plan_protection(SETTINGS, protected={"a"}, unprotected={"b"},
                                                 values={"a": 0, "b": 0}, idle_counts=counts)
    assert (protect, unprotect, counts) == ([], ["a"], {})


def test_a_flapping_metric_restarts_the_idle_count_and_causes_no_change() -> None:
    counts = {"a": 2}
    protect, unprotect, counts = plan_protection(SETTINGS, protected={"a"}, unprotected=set(), values={"a": 1},
                                                 idle_counts=counts)
    assert (protect, unprotect, counts) == ([], [], {})


def test_an_instance_absent_from_the_metric_keeps_its_state_and_its_count() -> None:
    protect, unprotect, counts = plan_protection(SETTINGS, protected={"a"}, unprotected={"b"}, values={},
                                                 idle_counts={"a": 2})
    assert (protect, unprotect, counts) == ([], [], {"a": 2})


def test_values_between_the_thresholds_keep_the_current_state() -> None:
    band = BusySettings(metric=MetricRef.prometheus("jobs"), busy_above=5, idle_at_or_below=1, idle_ticks=1)
    protect, unprotect, _ = plan_protection(band, protected={"a"}, unprotected={"b"}, values={"a": 3, "b": 3},
                                            idle_counts={})
    assert (protect, unprotect) == ([], [])


def test_busy_settings_reject_an_inverted_band() -> None:
    with pytest.raises(ValueError, match="idle_at_or_below"):
        BusySettings(metric=MetricRef.prometheus("jobs"), busy_above=0, idle_at_or_below=1)


def test_batches_hold_at_most_twenty_sorted_ids() -> None:
    ids = [f"i-{n:02d}" for n in range(45, 0, -1)]
    chunks = batches(ids)
    assert [len(c) for c in chunks] == [20, 20, 5]
    assert [i for c in chunks for i in c] == sorted(ids)


def test_zone_imbalance_counts_known_empty_zones_and_ignores_unknown_ones() -> None:
    assert zone_imbalance(["g", "g", "g", "h"]) == 2
    assert zone_imbalance(["g", "g"]) == 0
    assert zone_imbalance(["g", "g"], ["g", "h"]) == 2
    assert zone_imbalance([None, "g", "h"]) == 0


def test_pending_events_keep_only_answerable_events_in_their_state() -> None:
    def event(event_id: str, code: str, status: str) -> dict[str, object]:
        return {"EventId": event_id, "EventType": {"Name": code}, "EventCycleStatus": {"Name": status}}

    events = [event("e-1", "SystemMaintenance.Redeploy", "Scheduled"),
              event("e-2", "SystemMaintenance.Reboot", "Avoided"),
              event("e-3", "SystemFailure.Reboot", "Executing")]
    assert pending_events(events, MaintenanceSettings().handled) == [("e-1", "SystemMaintenance.Redeploy")]
    handled = MaintenanceSettings(redeploy_on_system_failure=True).handled
    assert pending_events(events, handled) == [("e-1", "SystemMaintenance.Redeploy"), ("e-3", "SystemFailure.Reboot")]


def test_a_maintenance_floor_turns_a_hold_into_a_scale_out_within_max_size() -> None:
    bounded = bound_decision(_decision(3, None, Direction.HOLD), CareReport(floor=4), max_size=10)
    assert (bounded.action, bounded.direction, bounded.target, bounded.policy) == (
        Action.SET_CAPACITY, Direction.OUT, 4, "maintenance")
    assert bounded.limits[-1].kind is LimitKind.FLOOR and bounded.memory is KEPT
    capped = bound_decision(_decision(3, None, Direction.HOLD), CareReport(floor=12), max_size=3)
    assert capped.action is Action.NONE


def test_protected_instances_shrink_a_scale_in_or_turn_it_into_a_hold() -> None:
    shrunk = bound_decision(_decision(6, 1, Direction.IN), CareReport(keep=2), max_size=10)
    assert (shrunk.direction, shrunk.target, shrunk.memory) == (Direction.IN, 2, ACTED)
    assert shrunk.limits[-1].kind is LimitKind.PROTECTED
    held = bound_decision(_decision(2, 1, Direction.IN), CareReport(keep=2), max_size=10)
    assert (held.action, held.direction, held.target, held.memory) == (Action.NONE, Direction.HOLD, None, KEPT)


def test_a_decision_above_the_bounds_is_left_alone() -> None:
    decision = _decision(3, 5, Direction.OUT)
    assert bound_decision(decision, CareReport(floor=4, keep=2), max_size=10) is decision


def test_merged_reports_keep_every_action_and_the_largest_bounds() -> None:
    merged = merge_reports([CareReport(floor=4, failures=("redeploy",)), CareReport(keep=2, protected=2),
                            CareReport(zone_imbalance=3, activity_started=True)])
    assert (merged.floor, merged.keep, merged.protected, merged.zone_imbalance) == (4, 2, 2, 3)
    assert merged.failures == ("redeploy",) and merged.activity_started
