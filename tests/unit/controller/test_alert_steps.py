"""An alert mapped to "step N of step policy P" resolves through the group's own policy file."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoscaler.alerting import ActuationError
from autoscaler.cli._compose import _step
from autoscaler.policy.loader import load_policy_file
from autoscaler.policy.spec import StepScalingSpec

ROOT = Path(__file__).resolve().parents[3]


def test_a_step_mapping_takes_the_adjustment_of_that_step() -> None:
    policy_set = load_policy_file(ROOT / "policies" / "queue-steps.yaml")
    group = policy_set.group_name or policy_set.group_id or ""
    spec = next(p for p in policy_set.spec.policies if isinstance(p, StepScalingSpec))
    adjustment = _step({group: policy_set}, group, spec.name, 1)
    assert adjustment.adjustment_type == spec.adjustment_type
    assert adjustment.adjustment_value == spec.step_adjustments[1].adjustment_value


def test_an_unknown_policy_or_step_is_refused_with_its_name() -> None:
    policy_set = load_policy_file(ROOT / "policies" / "queue-steps.yaml")
    group = policy_set.group_name or policy_set.group_id or ""
    with pytest.raises(ActuationError, match="no step policy named 'nope'"):
        _step({group: policy_set}, group, "nope", 0)
    spec = next(p for p in policy_set.spec.policies if isinstance(p, StepScalingSpec))
    with pytest.raises(ActuationError, match="has no step 99"):
        _step({group: policy_set}, group, spec.name, 99)
