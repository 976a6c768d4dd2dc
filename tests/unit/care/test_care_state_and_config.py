"""The care journal, the care configuration and the CLI's pre-call checks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from autoscaler.cli._instances import CheckError, GroupFacts, check_attach, check_remove
from autoscaler.controller.care_state import CareStateError, CareStateStore, MaintenanceRecord
from autoscaler.controller.config import GroupOverrides

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _record(**changes: object) -> MaintenanceRecord:
    fields: dict[str, object] = dict(event_id="e-1", group_id="asg-1", instance_id="i-1",
                                     event_code="SystemMaintenance.Redeploy", phase="waiting", need=3,
                                     detected_at=NOW, updated_at=NOW)
    fields.update(changes)
    return MaintenanceRecord(**fields)  # type: ignore[arg-type]  # the test passes each field by name


def test_a_flow_survives_reopening_the_state_file_in_its_last_phase(tmp_path: Path) -> None:
    store = CareStateStore(tmp_path / "state.sqlite")
    record = _record()
    store.save(record)
    later = NOW + timedelta(seconds=30)
    store.save(record.moved("redeploying", at=later, task_id="t-1", reason="task t-1"))
    store.mark("asg-1", "rebalance", later)
    store.close()
    reopened = CareStateStore(tmp_path / "state.sqlite")
    [found] = reopened.active("asg-1")
    assert (found.phase, found.task_id, found.need, found.updated_at) == ("redeploying", "t-1", 3, later)
    assert reopened.last_mark("asg-1", "rebalance") == later
    assert reopened.last_mark("asg-1", "other") is None
    reopened.save(found.moved("done", at=later))
    assert reopened.active("asg-1") == [] and len(reopened.records("asg-1")) == 1
    reopened.close()


def test_a_newer_care_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    CareStateStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE care_schema_version SET version = 99")
    with pytest.raises(CareStateError, match="newer"):
        CareStateStore(path)


def test_a_record_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="phase"):
        _record(phase="sleeping")
    with pytest.raises(ValueError, match="need"):
        _record(need=-1)
    with pytest.raises(ValueError, match="detected_at"):
        _record(detected_at=datetime(2026, 3, 2))


def test_the_care_section_parses_camel_case_with_defaults() -> None:
    overrides = GroupOverrides.model_validate({"care": {
        "busy": {"metric": {"prometheus": "sum by (instance_id) (jobs)"}, "idleTicks": 5},
        "maintenance": {"forceStop": True, "maxConcurrent": 2},
        "rebalance": {"minIntervalSeconds": 120, "zones": ["cn-hangzhou-g", "cn-hangzhou-h"]},
    }})
    care = overrides.care
    assert care is not None and care.busy is not None and care.maintenance is not None and care.rebalance
    assert (care.busy.busy_above, care.busy.idle_at_or_below, care.busy.idle_ticks) == (0.0, 0.0, 5)
    assert (care.maintenance.force_stop, care.maintenance.max_concurrent) == (True, 2)
    assert care.maintenance.redeploy_on_system_failure is False
    assert care.rebalance.min_interval_seconds == 120


@pytest.mark.parametrize(("care", "field"), [
    ({"busy": {"metric": {"prometheus": "jobs"}, "busyAbove": 0, "idleAtOrBelow": 2}}, "idleAtOrBelow"),
    ({"busy": {"metric": {}}}, "metric"),
    ({"maintenance": {"maxConcurrent": 0}}, "maxConcurrent"),
    ({"maintenance": {"forceStop": "yes"}}, "forceStop"),
    ({"rebalance": {"minIntervalSeconds": -1}}, "minIntervalSeconds"),
    ({"busy": {"metric": {"prometheus": "jobs"}, "idelTicks": 3}}, "idelTicks"),
])
def test_a_bad_care_section_names_the_field(care: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        GroupOverrides.model_validate({"care": care})
    assert field in str(info.value) or (field == "metric" and "give one of" in str(info.value))


FACTS = GroupFacts(name="web", total=3, min_size=2, max_size=4, members=frozenset({"i-1", "i-2", "i-3"}))


def test_attach_checks_max_size_with_the_reference_message() -> None:
    check_attach(FACTS, ["i-9"], 50)
    with pytest.raises(CheckError, match=r"IncorrectCapacity.MaxSize: To attach the instances, the total capacity "
                                         r"will be greater than the MaxSize. \(group web: TotalCapacity 3 \+ 2 > "
                                         r"MaxSize 4\)"):
        check_attach(FACTS, ["i-8", "i-9"], None)
    with pytest.raises(CheckError, match="--weight"):
        check_attach(FACTS, ["i-9"], 101)
    with pytest.raises(CheckError, match="already in group web: i-1"):
        check_attach(FACTS, ["i-1"], None)


def test_remove_checks_min_size_membership_and_the_id_list() -> None:
    check_remove(FACTS, ["i-1"], "release")
    with pytest.raises(CheckError, match=r"IncorrectCapacity\.MinSize: To remove the instances, the total capacity "
                                         r"will be lesser than the MinSize"):
        check_remove(FACTS, ["i-1", "i-2"], None)
    with pytest.raises(CheckError, match="not in group web: i-7"):
        check_remove(FACTS, ["i-7"], None)
    with pytest.raises(CheckError, match="given twice: i-1"):
        check_remove(FACTS, ["i-1", "i-1"], None)
    with pytest.raises(CheckError, match="at most 20"):
        check_remove(FACTS, [f"i-{n}" for n in range(21)], None)


def test_the_example_in_docs_instance_care_is_a_valid_configuration() -> None:
    import yaml

    text = (Path(__file__).resolve().parents[3] / "docs" / "instance-care.md").read_text("utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    groups = yaml.safe_load(block)["groups"]
    overrides = GroupOverrides.model_validate(groups["workers"])
    assert overrides.care is not None and overrides.care.busy is not None and overrides.care.rebalance is not None
    assert overrides.care.rebalance.zones == ["cn-hangzhou-g", "cn-hangzhou-h"]
