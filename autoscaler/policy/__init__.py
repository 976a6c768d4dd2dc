"""The policy engine: pure functions from a group snapshot to a decision with reasons.

No I/O and no clock reads (an import-linter contract forbids them): a policy gets a
:class:`GroupSnapshot` (capacities, metric samples, ``now``) and its own
:class:`PolicyMemory`, and returns a :class:`Proposal`; :func:`decide` arbitrates
the proposals of a group into a :class:`Decision`. Policy files are loaded and
validated by :func:`load_policy_file` (pydantic only there, never on the
evaluation path).

Example::

    policy_set = load_policy_file("policies/web-cpu.yaml")
    decision = policy_set.decide(snapshot, memory)
    if decision.action is Action.SET_CAPACITY:
        ...  # actuate decision.target, then keep decision.memory
"""

from autoscaler.policy._metrics import MetricKind, Statistic
from autoscaler.policy.alarm import AlarmPolicy
from autoscaler.policy.arbitration import Fallback, arbitrate, decide
from autoscaler.policy.build import PolicySet, build_policy_set
from autoscaler.policy.loader import PolicyFileError, Problem, load_policy_file, load_policy_text, policy_json_schema
from autoscaler.policy.model import (
    EMPTY_MEMORY,
    Action,
    Decision,
    Direction,
    GroupCapacity,
    GroupMemory,
    GroupSnapshot,
    Limit,
    LimitKind,
    MetricRef,
    MetricSample,
    MetricSource,
    MetricValue,
    Policy,
    PolicyKind,
    PolicyMemory,
    Proposal,
    RuleExecution,
)
from autoscaler.policy.scheduled import ScheduledPolicy
from autoscaler.policy.step import Comparison, StepAdjustment, StepScalingPolicy
from autoscaler.policy.target_tracking import ScaleInLimit, TargetTrackingPolicy, TrackedMetric

__all__ = [
    "EMPTY_MEMORY",
    "Action",
    "AlarmPolicy",
    "Comparison",
    "Decision",
    "Direction",
    "Fallback",
    "GroupCapacity",
    "GroupMemory",
    "GroupSnapshot",
    "Limit",
    "LimitKind",
    "MetricKind",
    "MetricRef",
    "MetricSample",
    "MetricSource",
    "MetricValue",
    "Policy",
    "PolicyFileError",
    "PolicyKind",
    "PolicyMemory",
    "PolicySet",
    "Problem",
    "Proposal",
    "RuleExecution",
    "ScaleInLimit",
    "ScheduledPolicy",
    "Statistic",
    "StepAdjustment",
    "StepScalingPolicy",
    "TargetTrackingPolicy",
    "TrackedMetric",
    "arbitrate",
    "build_policy_set",
    "decide",
    "load_policy_file",
    "load_policy_text",
    "policy_json_schema",
]
