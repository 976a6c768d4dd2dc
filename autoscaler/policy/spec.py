"""The schema of policy files (``policies/*.yaml``), in pydantic v2.

A policy file is reviewed like code, so the schema is strict: every model is
frozen and forbids unknown keys, numbers and booleans are not coerced from strings,
and the vocabulary is that of ESS written in camelCase (``adjustmentType``,
``minAdjustmentMagnitude``, ``breachThreshold``, ``stepAdjustments`` with
``metricIntervalLowerBound``/``UpperBound``, ``recurrenceType``/``recurrenceValue``/
``launchTime``/``recurrenceEndTime``, ``launchExpirationTime``,
``estimatedInstanceWarmup``, ``disableScaleIn``, ``cooldown``, ``scalingRuleAri``).
Durations are integers in seconds, as in the ESS API.

Checks that relate several fields (step coverage, the recurrence, rule-or-window)
live in :mod:`autoscaler.policy.loader` so that each error can name the exact field;
pydantic is only used to load files, never on the evaluation path.

``policy.schema.json`` beside this module is generated from these models for
editors (``python -m autoscaler.policy --write-schema``); a test keeps it
current.

Example file::

    apiVersion: autoscaler/v1
    version: 1
    scalingGroup: {name: web}
    policies:
      - type: targetTracking
        name: cpu
        metrics:
          - metric: {prometheus: 'avg(rate(node_cpu_seconds_total{mode!="idle"}[1m])) * 100'}
            kind: utilization
            target: 60
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel

from autoscaler.ess.capacity import AdjustmentType
from autoscaler.ess.recurrence import RecurrenceType
from autoscaler.policy._metrics import MetricKind, Statistic
from autoscaler.policy.model import MetricRef
from autoscaler.policy.step import Comparison

__all__ = [
    "API_VERSION",
    "AlarmSpec",
    "FallbackSpec",
    "FileColumnSpec",
    "MetricRefSpec",
    "PolicySetSpec",
    "PolicySpec",
    "PredictiveSpec",
    "ScaleInSpec",
    "ScalingGroupRefSpec",
    "ScheduledSpec",
    "StepAdjustmentSpec",
    "StepScalingSpec",
    "TargetTrackingSpec",
    "TrackedMetricSpec",
    "WindowSpec",
]

API_VERSION = "autoscaler/v1"

Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]
Seconds = Annotated[int, Strict(), Field(ge=0, le=86_400)]
Capacity = Annotated[int, Strict(), Field(ge=0, le=1000)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
RuleAri = Annotated[str, Field(pattern=r"^ari:acs:ess:[a-z0-9-]+:[0-9]+:scaling[Rr]ule/[A-Za-z0-9_-]+$")]
WireMinute = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=False)


class FileColumnSpec(_Model):
    path: Annotated[str, Field(min_length=1)]
    column: Annotated[str, Field(min_length=1)]


class MetricRefSpec(_Model):
    """Exactly one of ``prometheus`` (an instant query), ``file`` or ``synthetic``."""

    prometheus: Annotated[str, Field(min_length=1)] | None = None
    file: FileColumnSpec | None = None
    synthetic: Annotated[str, Field(min_length=1)] | None = None

    def to_ref(self) -> MetricRef:
        if self.prometheus is not None:
            return MetricRef.prometheus(self.prometheus)
        if self.file is not None:
            return MetricRef.file(self.file.path, self.file.column)
        if self.synthetic is not None:
            return MetricRef.synthetic(self.synthetic)
        raise ValueError("metric: give one of prometheus, file, synthetic")


class ScalingGroupRefSpec(_Model):
    """The scaling group, by ``id`` (ScalingGroupId) or by ``name`` (exactly one)."""

    id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class TrackedMetricSpec(_Model):
    metric: MetricRefSpec
    kind: MetricKind = MetricKind.UTILIZATION
    target: Annotated[float, Strict(), Field(gt=0)]


class ScaleInSpec(_Model):
    """Scale-in damping: ``stabilizationWindow`` (s), at most ``maxInstances`` or ``maxPercent`` per ``period`` (s)."""

    stabilization_window: Seconds = 300
    max_instances: Annotated[int, Strict(), Field(ge=1, le=500)] | None = None
    max_percent: Annotated[int, Strict(), Field(ge=1, le=100)] | None = None
    period: Annotated[int, Strict(), Field(ge=1, le=86_400)] = 60


class TargetTrackingSpec(_Model):
    type: Literal["targetTracking"]
    name: Name
    metrics: Annotated[list[TrackedMetricSpec], Field(min_length=1, max_length=10)]
    tolerance: Annotated[float, Strict(), Field(ge=0, lt=1)] = 0.1
    disable_scale_in: Bool = False
    scale_in: ScaleInSpec = ScaleInSpec()
    metric_max_age: Seconds | None = None


class StepAdjustmentSpec(_Model):
    metric_interval_lower_bound: Float | None = None
    metric_interval_upper_bound: Float | None = None
    adjustment_value: Int


class StepScalingSpec(_Model):
    type: Literal["stepScaling"]
    name: Name
    metric: MetricRefSpec
    statistic: Statistic = Statistic.AVERAGE
    per_instance: Bool = False
    comparison_operator: Comparison
    breach_threshold: Float
    evaluation_periods: Annotated[int, Strict(), Field(ge=1, le=100)] = 1
    adjustment_type: AdjustmentType
    min_adjustment_magnitude: Annotated[int, Strict(), Field(ge=1, le=500)] | None = None
    step_adjustments: Annotated[list[StepAdjustmentSpec], Field(min_length=1, max_length=20)]
    estimated_instance_warmup: Seconds | None = None
    cooldown: Seconds | None = None
    metric_max_age: Seconds | None = None


class AlarmSpec(_Model):
    type: Literal["alarm"]
    name: Name
    metric: MetricRefSpec
    statistic: Statistic = Statistic.AVERAGE
    comparison_operator: Comparison
    threshold: Float
    evaluation_count: Annotated[int, Strict(), Field(ge=1, le=100)] = 3
    scaling_rule_ari: RuleAri
    metric_max_age: Seconds | None = None


class WindowSpec(_Model):
    """Hold TotalCapacity within [floor, cap] for ``duration`` seconds from each fire time."""

    duration: Annotated[int, Strict(), Field(ge=60, le=31 * 86_400)]
    floor: Capacity | None = None
    cap: Capacity | None = None


class ScheduledSpec(_Model):
    """An ESS schedule (times in ESS wire format) that executes a rule or holds a window."""

    type: Literal["scheduled"]
    name: Name
    launch_time: WireMinute
    recurrence_type: RecurrenceType | None = None
    recurrence_value: Annotated[str, Field(min_length=1)] | None = None
    recurrence_end_time: WireMinute | None = None
    launch_expiration_time: Annotated[int, Strict(), Field(ge=0, le=21_600)] = 600
    scaling_rule_ari: RuleAri | None = None
    window: WindowSpec | None = None


class PredictiveSpec(_Model):
    """A forecasting policy (:mod:`autoscaler.policy.predictive`) on a utilisation metric.

    ``target`` is in the metric's unit and ``fullScale`` is the value meaning 100 %
    (100 for a CPU percentage, 1 for a fraction). ``mode: forecastOnly`` reports what
    it would do without taking part in the arbitration; ``mode: active`` proposes
    like a target-tracking policy. ``bootMinutes`` defaults to the file's
    ``estimatedInstanceWarmup`` in whole minutes.
    """

    type: Literal["predictive"]
    name: Name
    metric: MetricRefSpec
    target: Annotated[float, Strict(), Field(gt=0)]
    full_scale: Annotated[float, Strict(), Field(gt=0)] = 1.0
    mode: Literal["active", "forecastOnly"] = "active"
    boot_minutes: Annotated[int, Strict(), Field(ge=0, le=29)] | None = None
    serialised_scale_out: Bool = True  # as benchmarked with ESS's one activity at a time (docs/benchmarks.md)
    saturation_factor: Annotated[float, Strict(), Field(ge=1, le=10)] = 2.0
    scale_in_window_minutes: Annotated[int, Strict(), Field(ge=1, le=60)] = 1
    season_minutes: Annotated[int, Strict(), Field(ge=60, le=7 * 1440)] = 1440
    level_alpha: Annotated[float, Strict(), Field(gt=0, le=1)] = 0.05  # the forecaster's benchmarked default
    burst_quantile: Annotated[float, Strict(), Field(gt=0, lt=1)] | None = None
    metric_max_age: Seconds | None = None


PolicySpec = Annotated[
    TargetTrackingSpec | StepScalingSpec | AlarmSpec | ScheduledSpec | PredictiveSpec,
    Field(discriminator="type"),
]


class FallbackSpec(_Model):
    """Capacity to go to when no capacity policy has a usable metric."""

    capacity: Capacity
    allow_below_current: Bool = False


class PolicySetSpec(_Model):
    """One file: one scaling group and its policies."""

    api_version: Literal["autoscaler/v1"]
    version: Annotated[int, Strict(), Field(ge=1)]
    scaling_group: ScalingGroupRefSpec
    description: Annotated[str, Field(max_length=500)] | None = None
    estimated_instance_warmup: Seconds = 300
    metric_max_age: Seconds = 300
    fallback: FallbackSpec | None = None
    policies: Annotated[list[PolicySpec], Field(min_length=1, max_length=50)]
