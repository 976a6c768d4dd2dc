"""The predictive policy: decisions, saturation, shadow mode, staleness, validation."""

from __future__ import annotations

from dataclasses import replace
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
LEVEL_ONLY = PredictiveSettings(noise_headroom=0.0, noise_band=0.0)
"""The level mechanics in isolation: a step in the load also counts as noise otherwise."""


def samples(values: list[float], serving: int = 10) -> list[UtilisationSample]:
    return [
        UtilisationSample(at=T0 + timedelta(minutes=i), utilisation=u, serving=serving) for i, u in enumerate(values)
    ]


def test_a_steady_load_is_held_at_the_target_utilisation() -> None:
    policy = PredictivePolicy()
    history = samples([0.9] * 5)
    target, reasons = policy.evaluate(history, T0 + timedelta(minutes=5), serving=10, total=10, warming=0)
    assert target == 15  # load 9 instance-equivalents / 0.6
    assert reasons[0].startswith("predictive: level model, peak load 9.00")


def test_the_horizon_is_one_boot_plus_a_minute_or_two_boots_when_scale_outs_are_serialised() -> None:
    assert PredictiveSettings(serialised_scale_out=False).horizon_minutes == 4
    assert PredictiveSettings().horizon_minutes == 7
    assert PredictiveSettings().forecaster.horizon == 7


def test_a_saturated_sample_is_read_as_at_least_the_saturation_factor_times_the_serving_load() -> None:
    policy = PredictivePolicy(PredictiveSettings(saturation_factor=2.0))
    target, reasons = policy.evaluate(samples([1.0]), T0, serving=10, total=10, warming=0)
    assert target == 34  # ceil(10 * 2 / 0.6)
    assert any(r.startswith("saturated") for r in reasons)


def drop_after_half_an_hour(policy: PredictivePolicy) -> list[int]:
    out = []
    for minute, u in enumerate([0.6] * 30 + [0.3] * 20):
        out.append(policy.decide(60 * minute, u, 10, 10, 10, 0))
    return out


def test_scale_in_follows_the_level_and_completes_once_the_memory_has_passed() -> None:
    out = drop_after_half_an_hour(PredictivePolicy(LEVEL_ONLY))
    assert out[:30] == [10] * 30
    assert 5 < out[43] < 10  # the level is on its way down, the 15-minute memory still holds 6
    assert out[44] == 5  # load 3 / 0.6


def test_a_scale_in_window_holds_the_highest_proposal_a_little_longer() -> None:
    out = drop_after_half_an_hour(PredictivePolicy(replace(LEVEL_ONLY, scale_in_window=3)))
    assert out[44] > 5
    assert out[46] == 5


def test_no_scale_out_inside_the_tolerance_unless_saturated() -> None:
    policy = PredictivePolicy(LEVEL_ONLY)
    assert policy.decide(0, 0.65, 10, 10, 10, 0) == 10  # ceil(6.5 / 0.6) = 11 is within 10 %
    assert policy.decide(60, 0.8, 10, 10, 10, 0) == 14  # a jump over the level: ceil(8 / 0.6)


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
    assert settings.forecaster == ForecasterSettings(horizon=7, scale_out_from=4, burst_quantile=0.9)
    with pytest.raises(ValueError, match=r"policies\[0\]\.predictive\.colour: unknown field"):
        PredictiveSettings.from_mapping({"colour": 1}, path="policies[0].predictive")
    with pytest.raises(ValueError, match=r"predictive\.mode: must be one of"):
        PredictiveSettings.from_mapping({"mode": "loud"})
    with pytest.raises(ValueError, match=r"predictive\.target: must be in"):
        PredictiveSettings.from_mapping({"target": 2})
    with pytest.raises(ValueError, match=r"predictive\.boot_minutes: must be an integer"):
        PredictiveSettings.from_mapping({"boot_minutes": 2.5})


def test_several_evaluations_in_one_minute_count_once_in_the_scale_in_window() -> None:
    policy = PredictivePolicy(replace(LEVEL_ONLY, scale_in_window=2))
    history = samples([0.6] * 30 + [0.1] * 20)
    targets = []
    for i in range(20):
        seen = history[: 31 + i]
        for tick in range(4):  # a controller ticking every 15 s
            now = T0 + timedelta(minutes=31 + i, seconds=15 * tick)
            target, _ = policy.evaluate(seen, now, serving=10, total=10, warming=0)
        targets.append(target)
    # The level decays, the 15-minute memory lets go after the 15th low minute, and the
    # 2-minute window still holds the previous minute's proposal (6) for one minute.
    assert targets[0] == 10
    assert targets[13] == 6
    assert targets[14] == 6
    assert targets[15] == 2  # ceil(1 / 0.6)


def test_a_sample_with_nothing_serving_asks_for_capacity_instead_of_reading_zero_load() -> None:
    policy = PredictivePolicy()
    assert policy.decide(0, 1.0, 0, 0, 1, 1) == 4  # at least 1 instance x 2 / 0.6
