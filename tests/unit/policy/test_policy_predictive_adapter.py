"""The predictive policy behind the Policy protocol: state per group, forecast-only, safety."""

from __future__ import annotations

from policy_helpers import CPU, at, snap

from autoscaler.policy import EMPTY_MEMORY, GroupMemory, LimitKind, decide
from autoscaler.policy.predictive import PredictiveMode, PredictivePolicy, PredictiveSettings
from autoscaler.policy.predictive_adapter import PredictiveTargetPolicy


def predictive(mode: PredictiveMode = PredictiveMode.ACTIVE) -> PredictiveTargetPolicy:
    return PredictiveTargetPolicy(name="forecast", metric=CPU, settings=PredictiveSettings(target=0.6, mode=mode),
                                  full_scale=100.0)


def test_an_active_predictive_policy_scales_out_on_a_hot_group() -> None:
    proposal = predictive().evaluate(snap(total=4, metrics={CPU: 90}), EMPTY_MEMORY)
    assert proposal.target is not None and proposal.target > 4
    assert "predictive:" in proposal.formula
    assert isinstance(proposal.memory.extension, PredictivePolicy)


def test_forecast_only_reports_without_an_opinion() -> None:
    policy = predictive(PredictiveMode.FORECAST_ONLY)
    proposal = policy.evaluate(snap(total=4, metrics={CPU: 90}), EMPTY_MEMORY)
    assert proposal.target is None
    assert "forecast-only" in proposal.formula
    assert decide([policy], snap(total=4, metrics={CPU: 90}), GroupMemory()).target is None


def test_each_group_memory_carries_its_own_forecaster() -> None:
    policy = predictive()
    first = policy.evaluate(snap(now=at(0), total=4, metrics={CPU: 90}), EMPTY_MEMORY)
    other = policy.evaluate(snap(now=at(0), total=4, metrics={CPU: 10}), EMPTY_MEMORY)
    assert first.memory.extension is not other.memory.extension
    again = policy.evaluate(snap(now=at(1), total=4, metrics={CPU: 90}), first.memory)
    assert again.memory.extension is first.memory.extension


def test_a_missing_metric_or_no_serving_instance_holds_and_vetoes_scale_in() -> None:
    missing = predictive().evaluate(snap(total=6, metrics={}), EMPTY_MEMORY)
    assert missing.target == 6 and missing.metrics_missing
    warming = predictive().evaluate(snap(total=3, serving=0, warming=3, metrics={CPU: 50}), EMPTY_MEMORY)
    assert warming.target == 3 and LimitKind.NO_SERVING in {lim.kind for lim in warming.limits}


def test_the_load_is_the_utilisation_times_the_instances_that_measured_it() -> None:
    # Eight serve now, but the minute's sample was measured on four (the other four began
    # serving at this tick): the load is 4 x 0.9 = 3.6 instances, sized at 60 % to 6, not
    # 8 x 0.9 = 7.2 (sized to 12).
    vector = {f"i-{n}": 90.0 for n in range(4)}
    proposal = predictive().evaluate(snap(total=8, metrics={CPU: vector}), EMPTY_MEMORY)
    assert proposal.target is not None and proposal.target <= 8
    scalar = predictive().evaluate(snap(total=8, metrics={CPU: 90}), EMPTY_MEMORY)
    assert scalar.target is not None and scalar.target >= 12  # a scalar sample: the serving count it is
