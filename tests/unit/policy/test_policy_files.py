"""Policy files: the shipped examples load, the JSON Schema is current, bad files say where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from autoscaler.policy import (
    AlarmPolicy,
    PolicyFileError,
    ScheduledPolicy,
    StepScalingPolicy,
    TargetTrackingPolicy,
    load_policy_file,
    load_policy_text,
)
from autoscaler.policy.loader import SCHEMA_PATH, policy_json_schema, render_json_schema
from autoscaler.policy.predictive_adapter import PredictiveTargetPolicy

ROOT = Path(__file__).resolve().parents[3]
POLICIES = sorted((ROOT / "policies").glob("*.yaml"))
INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))
EXPECT = re.compile(r"#\s*expect:\s*(\d+):\s*(\S+):\s*(.+)")


def test_the_shipped_examples_are_there() -> None:
    names = {p.name for p in POLICIES}
    assert {"web-cpu.yaml", "queue-steps.yaml", "office-hours.yaml", "alarm-rule.yaml"} <= names


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_file_in_policies_validates(path: Path) -> None:
    policy_set = load_policy_file(path)
    assert policy_set.policies
    assert policy_set.source == str(path)
    assert (policy_set.group_id is None) != (policy_set.group_name is None)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_file_in_policies_validates_against_the_published_json_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(YAML(typ="safe").load(path.read_text(encoding="utf-8")), schema)


def test_the_examples_build_the_policy_kinds_they_describe() -> None:
    kinds = {path.name: [type(p) for p in load_policy_file(path).policies] for path in POLICIES}
    assert kinds["web-cpu.yaml"] == [TargetTrackingPolicy]
    assert kinds["queue-steps.yaml"] == [StepScalingPolicy, StepScalingPolicy]
    assert kinds["office-hours.yaml"] == [TargetTrackingPolicy, ScheduledPolicy]
    assert kinds["alarm-rule.yaml"] == [AlarmPolicy, ScheduledPolicy]


def test_the_json_schema_file_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_json_schema(), (
        "autoscaler/policy/policy.schema.json is stale: run python -m autoscaler.policy --write-schema"
    )


def test_the_json_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(policy_json_schema())


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_every_invalid_example_gets_an_error_naming_file_line_and_field(path: Path) -> None:
    match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name}: first line must be '# expect: LINE: FIELD: MESSAGE'"
    line, field, message = int(match.group(1)), match.group(2), match.group(3).strip()
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(path)
    error = caught.value
    rendered = str(error)
    expected_prefix = f"{path}:{line}: {field}: "
    assert any(row.startswith(expected_prefix) and message in row for row in rendered.splitlines()), rendered
    assert error.path == str(path)


def test_an_error_lists_every_problem_of_the_file_sorted_by_line() -> None:
    text = (
        "apiVersion: autoscaler/v1\nversion: 0\nscalingGroup: {name: web}\npolicies:\n"
        "  - type: targetTracking\n    name: cpu\n    metrics:\n      - metric: {synthetic: cpu}\n"
        "        target: -1\n"
    )
    with pytest.raises(PolicyFileError) as caught:
        load_policy_text(text, source="policies/web.yaml")
    assert str(caught.value).splitlines() == [
        "policies/web.yaml:2: version: must be >= 1 (got 0)",
        "policies/web.yaml:9: policies[0].metrics[0].target: must be > 0.0 (got -1)",
    ]
    assert caught.value.line == 2 and caught.value.field == "version"


def test_a_missing_file_is_a_policy_file_error() -> None:
    with pytest.raises(PolicyFileError, match="cannot read"):
        load_policy_file(ROOT / "policies" / "does-not-exist.yaml")


def test_a_predictive_policy_loads_with_the_forecasters_settings() -> None:
    policy_set = load_policy_text(
        "apiVersion: autoscaler/v1\nversion: 1\nscalingGroup: {name: web}\nestimatedInstanceWarmup: 240\n"
        "policies:\n  - type: predictive\n    name: forecast\n    metric: {synthetic: cpu}\n"
        "    target: 60\n    fullScale: 100\n    mode: forecastOnly\n"
    )
    (policy,) = policy_set.policies
    assert isinstance(policy, PredictiveTargetPolicy)
    assert policy.settings.target == pytest.approx(0.6)
    assert policy.settings.boot_minutes == 4


def test_metric_references_are_collected_for_the_metric_sources() -> None:
    refs = load_policy_file(ROOT / "policies" / "queue-steps.yaml").metric_refs
    assert [r.source.value for r in refs] == ["prometheus"]  # both policies read the same query
