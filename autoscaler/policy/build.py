"""From a validated file to runnable policies: :class:`PolicySet`.

The pydantic models of :mod:`autoscaler.policy.spec` describe the file; this module
turns them into the plain frozen policy objects that evaluate on the hot path, with
the file-level defaults (``metricMaxAge``, ``estimatedInstanceWarmup``) filled in.

The predictive kind is the forecasting policy of :mod:`autoscaler.policy.predictive`
behind :class:`~autoscaler.policy.predictive_adapter.PredictiveTargetPolicy`.

Example::

    policy_set = load_policy_file(Path("policies/web-cpu.yaml"))
    decision = policy_set.decide(snapshot, memory)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from autoscaler.ess.recurrence import Schedule, parse_wire_minute
from autoscaler.policy._metrics import Statistic
from autoscaler.policy.alarm import AlarmPolicy
from autoscaler.policy.arbitration import Fallback, decide
from autoscaler.policy.forecast import ForecasterSettings
from autoscaler.policy.model import Decision, GroupMemory, GroupSnapshot, MetricRef, Policy
from autoscaler.policy.predictive import PredictiveMode, PredictiveSettings
from autoscaler.policy.predictive_adapter import PredictiveTargetPolicy
from autoscaler.policy.scheduled import ScheduledPolicy
from autoscaler.policy.spec import (
    AlarmSpec,
    PolicySetSpec,
    PredictiveSpec,
    ScheduledSpec,
    StepScalingSpec,
    TargetTrackingSpec,
)
from autoscaler.policy.step import StepAdjustment, StepScalingPolicy
from autoscaler.policy.target_tracking import ScaleInLimit, TargetTrackingPolicy, TrackedMetric

__all__ = ["PolicySet", "build_policy", "build_policy_set", "predictive_settings", "schedule_of"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySet:
    """The policies of one scaling group, ready to evaluate.

    ``source`` is the file it came from; ``version`` the file's own revision
    number; ``group_id`` / ``group_name`` name the scaling group (one is None).
    """

    source: str
    version: int
    group_id: str | None
    group_name: str | None
    policies: tuple[Policy, ...]
    fallback: Fallback | None
    spec: PolicySetSpec

    @property
    def metric_refs(self) -> frozenset[MetricRef]:
        """Every metric the policies read: what the metric sources must provide."""
        refs: set[MetricRef] = set()
        for policy in self.spec.policies:
            if isinstance(policy, TargetTrackingSpec):
                refs.update(m.metric.to_ref() for m in policy.metrics)
            elif not isinstance(policy, ScheduledSpec):
                refs.add(policy.metric.to_ref())
        return frozenset(refs)

    def decide(self, snapshot: GroupSnapshot, memory: GroupMemory) -> Decision:
        return decide(self.policies, snapshot, memory, fallback=self.fallback)


def build_policy_set(spec: PolicySetSpec, *, source: str = "<memory>") -> PolicySet:
    """Build the runtime :class:`PolicySet`; ``spec`` must have passed the loader's checks."""
    fallback = None
    if spec.fallback is not None:
        fallback = Fallback(capacity=spec.fallback.capacity, allow_below_current=spec.fallback.allow_below_current)
    return PolicySet(
        source=source, version=spec.version, group_id=spec.scaling_group.id, group_name=spec.scaling_group.name,
        policies=tuple(build_policy(p, spec) for p in spec.policies), fallback=fallback, spec=spec,
    )


def build_policy(
    policy: TargetTrackingSpec | StepScalingSpec | AlarmSpec | ScheduledSpec | PredictiveSpec, spec: PolicySetSpec
) -> Policy:
    """One runtime policy from its spec, with the file-level defaults."""
    if isinstance(policy, ScheduledSpec):
        window = policy.window
        return ScheduledPolicy(
            name=policy.name, schedule=schedule_of(policy), rule_ari=policy.scaling_rule_ari,
            launch_expiration=timedelta(seconds=policy.launch_expiration_time),
            window=None if window is None else timedelta(seconds=window.duration),
            floor=None if window is None else window.floor, cap=None if window is None else window.cap,
        )
    own_age = policy.metric_max_age
    max_age = timedelta(seconds=spec.metric_max_age if own_age is None else own_age)
    if isinstance(policy, TargetTrackingSpec):
        return _target_tracking(policy, max_age)
    if isinstance(policy, StepScalingSpec):
        return _step(policy, spec, max_age)
    if isinstance(policy, AlarmSpec):
        return AlarmPolicy(
            name=policy.name, metric=policy.metric.to_ref(), comparison=policy.comparison_operator,
            threshold=policy.threshold, rule_ari=policy.scaling_rule_ari, statistic=policy.statistic,
            evaluation_count=policy.evaluation_count, metric_max_age=max_age,
        )
    return _predictive(policy, spec, max_age)


def predictive_settings(policy: PredictiveSpec, spec: PolicySetSpec) -> PredictiveSettings:
    """The forecaster's settings for ``policy`` (raises ``ValueError`` naming the field)."""
    boot = policy.boot_minutes
    if boot is None:
        boot = min(29, -(-spec.estimated_instance_warmup // 60))
    own_age = policy.metric_max_age
    stale = -(-(spec.metric_max_age if own_age is None else own_age) // 60)
    return PredictiveSettings(
        target=policy.target / policy.full_scale,
        mode=PredictiveMode.ACTIVE if policy.mode == "active" else PredictiveMode.FORECAST_ONLY,
        boot_minutes=boot, serialised_scale_out=policy.serialised_scale_out,
        saturation_factor=policy.saturation_factor, scale_in_window=policy.scale_in_window_minutes,
        stale_after_minutes=max(1, stale),
        forecaster=ForecasterSettings(season_minutes=policy.season_minutes, level_alpha=policy.level_alpha,
                                      burst_quantile=policy.burst_quantile),
    )


def _predictive(policy: PredictiveSpec, spec: PolicySetSpec, max_age: timedelta) -> PredictiveTargetPolicy:
    return PredictiveTargetPolicy(
        name=policy.name, metric=policy.metric.to_ref(), settings=predictive_settings(policy, spec),
        full_scale=policy.full_scale, metric_max_age=max_age,
    )


def schedule_of(policy: ScheduledSpec) -> Schedule:
    """The ESS :class:`Schedule` of a scheduled policy (raises ``RecurrenceError``)."""
    end = policy.recurrence_end_time
    return Schedule(
        launch_time=parse_wire_minute(policy.launch_time, field="LaunchTime"),
        recurrence_type=policy.recurrence_type,
        recurrence_value=policy.recurrence_value,
        recurrence_end_time=None if end is None else parse_wire_minute(end, field="RecurrenceEndTime"),
    )


def _target_tracking(policy: TargetTrackingSpec, max_age: timedelta) -> TargetTrackingPolicy:
    scale_in = policy.scale_in
    return TargetTrackingPolicy(
        name=policy.name,
        metrics=tuple(TrackedMetric(ref=m.metric.to_ref(), kind=m.kind, target=m.target) for m in policy.metrics),
        tolerance=policy.tolerance,
        disable_scale_in=policy.disable_scale_in,
        scale_in=ScaleInLimit(
            stabilization_window=scale_in.stabilization_window, max_instances=scale_in.max_instances,
            max_percent=scale_in.max_percent, period=scale_in.period,
        ),
        metric_max_age=max_age,
    )


def _step(policy: StepScalingSpec, spec: PolicySetSpec, max_age: timedelta) -> StepScalingPolicy:
    warmup = spec.estimated_instance_warmup if policy.estimated_instance_warmup is None \
        else policy.estimated_instance_warmup
    return StepScalingPolicy(
        name=policy.name, metric=policy.metric.to_ref(), comparison=policy.comparison_operator,
        threshold=policy.breach_threshold, adjustment_type=policy.adjustment_type,
        steps=tuple(
            StepAdjustment(lower=s.metric_interval_lower_bound, upper=s.metric_interval_upper_bound,
                           adjustment=s.adjustment_value)
            for s in policy.step_adjustments
        ),
        statistic=Statistic(policy.statistic), per_instance=policy.per_instance,
        evaluation_periods=policy.evaluation_periods, min_adjustment_magnitude=policy.min_adjustment_magnitude,
        warmup=timedelta(seconds=warmup),
        cooldown=None if policy.cooldown is None else timedelta(seconds=policy.cooldown),
        metric_max_age=max_age,
    )
