"""The predictive policy: decisions, saturation, shadow mode, staleness, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autoscaler.policy.forecast import ForecasterSettings
from autoscaler.policy.predictive import (
    PredictiveMode,
    PredictivePolicy,
    PredictiveSettings,
    UtilisationSample,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def samples(values: list[float], serving: int = 10) -> list[UtilisationSample]:
    return [
        UtilisationSample(at=T0 + timedelta(minutes=i), utilisation=u, serving=serving) for i, u in enumerate(values)
    ]


def test_a_steady_load_is_held_at_the_target_utilisation() -> None:
    policy = PredictivePolicy()
    history = samples([0.9] * 5)
    target, reasons = policy.evaluate(history, T0 + timedelta(minutes=5), serving=10, total=10, warming=0)
    assert target == 15  # load 9 instance-equivalents / 0.6
    assert "predictive: level=9.00" in reasons[0]


def test_the_horizon_is_one_boot_plus_a_minute_or_two_boots_when_scale_outs_are_serialised() -> None:
    assert PredictiveSettings(serialised_scale_out=False).horizon_minutes == 4
    assert PredictiveSettings().horizon_minutes == 7
    assert PredictiveSettings().forecaster.horizon == 7


def test_a_saturated_sample_is_read_as_at_least_the_saturation_factor_times_the_serving_load() -> None:
    policy = PredictivePolicy(PredictiveSettings(saturation_factor=2.0))
    target, reasons = policy.evaluate(samples([1.0]), T0, serving=10, total=10, warming=0)
    assert target == 34  # ceil(10 * 2 / 0.6)
    assert any(r.startswith("saturated") for r in reasons)


def test_the_level_follows_a_drop_and_scale_in_is_held_over_the_window() -> None:
    policy = PredictivePolicy(PredictiveSettings(scale_in_window=3))
    at = 0
    out = []
    for u in [0.6] * 3 + [0.3] * 4:
        out.append(policy.decide(at, u, 10, 10, 10, 0))
        at += 60
    assert out[:3] == [10, 10, 10]
    # The first lower proposals are held by the 10s still in the 3-minute window.
    assert out[3:5] == [10, 10]
    assert out[6] < 10


def test_forecast_only_mode_explains_and_keeps_the_current_total() -> None:
    policy = PredictivePolicy(PredictiveSettings(mode=PredictiveMode.FORECAST_ONLY))
    target, reasons = policy.evaluate(samples([0.9] * 3), T0 + timedelta(minutes=3), serving=10, total=10, warming=0)
    assert target == 10
    assert reasons[-1] == "forecast-only: would set 15, keeping 10"
    assert policy.decide(240, 0.9, 10, 10, 10, 0) == 10


def test_stale_or_missing_metrics_never_scale_in() -> None:
    policy = PredictivePolicy()
    target, reasons = policy.evaluate([], T0, serving=10, total=10, warming=0)
    assert target == 10
    assert "no sample" in reasons[0]
    target, _ = policy.evaluate(samples([0.1]), T0 + timedelta(minutes=30), serving=10, total=10, warming=0)
    assert target == 10


def test_only_new_samples_are_ingested_on_each_evaluation() -> None:
    policy = PredictivePolicy()
    history = samples([0.6] * 3)
    policy.evaluate(history, T0 + timedelta(minutes=3), serving=10, total=10, warming=0)
    level_before = policy.forecast.level
    policy.evaluate(history, T0 + timedelta(minutes=3), serving=10, total=10, warming=0)
    assert policy.forecast.level == level_before
    history += samples([0.6] * 3 + [1.0])[3:]
    target, _ = policy.evaluate(history, T0 + timedelta(minutes=4), serving=10, total=10, warming=0)
    assert target > 10


def test_invalid_samples_name_the_field() -> None:
    policy = PredictivePolicy()
    with pytest.raises(ValueError, match=r"history\[1\]\.utilisation"):
        policy.evaluate(samples([0.5, float("nan")]), T0, serving=10, total=10, warming=0)
    with pytest.raises(ValueError, match="now"):
        policy.evaluate([], datetime(2026, 1, 1), serving=1, total=1, warming=0)


def test_settings_from_a_mapping_are_validated_with_the_path() -> None:
    settings = PredictiveSettings.from_mapping({"target": 0.5, "mode": "forecast-only", "burst_quantile": 0.9})
    assert settings.target == 0.5
    assert settings.mode is PredictiveMode.FORECAST_ONLY
    assert settings.forecaster == ForecasterSettings(horizon=7, burst_quantile=0.9)
    with pytest.raises(ValueError, match=r"policies\[0\]\.predictive\.colour: unknown field"):
        PredictiveSettings.from_mapping({"colour": 1}, path="policies[0].predictive")
    with pytest.raises(ValueError, match=r"predictive\.mode: must be one of"):
        PredictiveSettings.from_mapping({"mode": "loud"})
    with pytest.raises(ValueError, match=r"predictive\.target: must be in"):
        PredictiveSettings.from_mapping({"target": 2})
    with pytest.raises(ValueError, match=r"predictive\.boot_minutes: must be an integer"):
        PredictiveSettings.from_mapping({"boot_minutes": 2.5})
