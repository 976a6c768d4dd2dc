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
    assert not PredictiveSettings(serialised_scale_out=False).forecaster.serialised_scale_out
    # Serialised: a scale-out launched now serves from minute 4; the next one can start
    # when it is in service (minute 3) and serves from minute 7: this one covers 4..6.
    assert PredictiveSettings().horizon_minutes == 6
    assert PredictiveSettings().forecaster.horizon == 6
    assert PredictiveSettings().forecaster.scale_out_from == 4
    assert PredictiveSettings().forecaster.serialised_scale_out


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
    assert settings.forecaster == ForecasterSettings(
        horizon=6, scale_out_from=4, serialised_scale_out=True, burst_quantile=0.9
    )
    with pytest.raises(ValueError, match=r"policies\[0\]\.predictive\.colour: unknown field"):
        PredictiveSettings.from_mapping({"colour": 1}, path="policies[0].predictive")
    with pytest.raises(ValueError, match=r"predictive\.mode: must be one of"):
        PredictiveSettings.from_mapping({"mode": "loud"})
    with pytest.raises(ValueError, match=r"predictive\.target: must be in"):
        PredictiveSettings.from_mapping({"target": 2})
    with pytest.raises(ValueError, match=r"predictive\.boot_minutes: must be an integer"):
        PredictiveSettings.from_mapping({"boot_minutes": 2.5})
    burst = PredictiveSettings.from_mapping({"short_burst_memory_minutes": 90, "short_burst_min_minutes": 3})
    assert (burst.short_burst_memory_minutes, burst.short_burst_min_minutes) == (90, 3)
    with pytest.raises(ValueError, match=r"predictive\.short_burst_memory_minutes: must be between 0 and 1440"):
        PredictiveSettings.from_mapping({"short_burst_memory_minutes": -1})
    with pytest.raises(ValueError, match=r"predictive\.short_burst_min_minutes: must be an integer"):
        PredictiveSettings.from_mapping({"short_burst_min_minutes": 1.5})
    with pytest.raises(ValueError, match=r"predictive\.short_burst_min_minutes: must be between 1 and 30"):
        PredictiveSettings.from_mapping({"short_burst_min_minutes": 0})
    assert PredictiveSettings.from_mapping({"short_burst_margin": 2}).short_burst_margin == 2.0
    with pytest.raises(ValueError, match=r"predictive\.short_burst_margin: must be between 0 and 20"):
        PredictiveSettings.from_mapping({"short_burst_margin": -0.5})


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


def run_loads(policy: PredictivePolicy, loads: list[float], serving: int = 30) -> list[int]:
    """Feed one load per minute (measured by ``serving`` instances); return each decision."""
    out, total = [], serving
    for minute, load in enumerate(loads):
        total = policy.decide(60 * minute, load / serving, serving, total, total, 0)
        out.append(total)
    return out


def test_after_a_short_burst_its_peak_is_kept_serviceable_at_100_percent_for_the_memory() -> None:
    # Load 10 for 30 minutes, 20 for minutes 30-31, then 10 again. The burst lasted two
    # minutes (opened at 30 above 10 x 1.1, closed at 32): it is remembered until 32 + 60.
    loads = [10.0] * 30 + [20.0] * 2 + [10.0] * 70
    out = run_loads(PredictivePolicy(LEVEL_ONLY), loads)
    plain = run_loads(PredictivePolicy(replace(LEVEL_ONLY, short_burst_memory_minutes=0)), loads)
    assert out[29] == plain[29] == 17  # ceil(10 / 0.6)
    assert out[30] == plain[30] == 34  # the burst lifts the forecast at once: ceil(20 / 0.6)
    # Minute 32: the level is 10.93 (EWMA 0.05), ceil(10.93 / 0.6) = 19, but the burst's
    # peak at 100 % needs 20.
    assert (plain[32], out[32]) == (19, 20)
    # Minute 46: the 20 of minute 31 has left the 15-minute memory: the forecast is 10.
    assert (plain[46], out[46]) == (17, 20)
    assert out[92] == 20  # the last minute of the burst memory
    assert out[93] == 17


def test_a_one_minute_spike_or_a_long_burst_is_not_remembered() -> None:
    spike = [10.0] * 30 + [20.0] + [10.0] * 40
    assert run_loads(PredictivePolicy(LEVEL_ONLY), spike)[50] == 17
    long_burst = [10.0] * 30 + [20.0] * 5 + [10.0] * 40  # 5 minutes > boot + 1: a scale-out can follow it
    assert run_loads(PredictivePolicy(LEVEL_ONLY), long_burst)[55] == 17
    # With a one-minute minimum the spike is remembered.
    one = replace(LEVEL_ONLY, short_burst_min_minutes=1)
    assert run_loads(PredictivePolicy(one), spike)[50] == 20


def test_the_burst_floor_only_holds_a_scale_in_and_a_higher_burst_replaces_a_lower_one() -> None:
    loads = [10.0] * 30 + [18.0] * 2 + [10.0] * 10 + [22.0] * 2 + [10.0] * 30
    policy = PredictivePolicy(LEVEL_ONLY)
    out = run_loads(policy, loads)
    assert policy.burst_floor() == 22.0
    assert out[-1] == 22
    assert PredictivePolicy(LEVEL_ONLY).burst_floor() == 0.0


def test_the_reasons_name_a_remembered_short_burst() -> None:
    policy = PredictivePolicy(LEVEL_ONLY)
    history = samples([10 / 30] * 30 + [20 / 30] * 2 + [10 / 30] * 20, serving=30)
    _, reasons = policy.evaluate(history, T0 + timedelta(minutes=52), serving=30, total=30, warming=0)
    assert "short burst in the last 60 min: peak + 1 noise = load 20.00, no scale-in below 20" in reasons


def test_a_remembered_burst_keeps_one_noise_unit_above_its_peak() -> None:
    # Noise tracked (band 3) but no noise headroom: the load alternates 10/11 (noise 1),
    # a burst to 20 for minutes 40-41 (above 10.5 + 3 noise units) is remembered as
    # 20 + 1 x 1 = 21 until minute 42 + 60.
    cfg = replace(LEVEL_ONLY, noise_band=3.0)
    loads = [10.0 + (m % 2) for m in range(40)] + [20.0, 20.0] + [10.0 + (m % 2) for m in range(70)]
    out = run_loads(PredictivePolicy(cfg), loads)
    bare = run_loads(PredictivePolicy(replace(cfg, short_burst_margin=0.0)), loads)
    no_memory = run_loads(PredictivePolicy(replace(cfg, short_burst_memory_minutes=0)), loads)
    # By minute 95 the burst's share of the level (EWMA 0.05, ~0.93 after it) has decayed
    # to 0.95^53 x 0.93 = 0.06: the level is under 10.6 and ceil(10.6 / 0.6) = 18.
    assert no_memory[95] == 18
    assert (bare[95], out[95]) == (20, 21)
    assert out[102] == 21
    assert out[103] == 18
