"""The predictive policy's use of the data: censored samples, noise headroom, noise band."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from autoscaler.policy.predictive import PredictivePolicy, PredictiveSettings, UtilisationSample

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NO_NOISE = PredictiveSettings(noise_headroom=0.0, noise_band=0.0)


def feed(policy: PredictivePolicy, loads: list[float], serving: int = 20, start: int = 0) -> int:
    """Feed one load per minute (as utilisation x serving); return the last decision."""
    wanted = serving
    for minute, load in enumerate(loads, start=start):
        wanted = policy.decide(60 * minute, min(1.0, load / serving), serving, serving, serving, 0)
    return wanted


def test_a_saturated_sample_is_estimated_from_the_recent_loads_above_its_bound() -> None:
    policy = PredictivePolicy(NO_NOISE)
    feed(policy, [10.0] * 10 + [30.0, 26.0] + [10.0] * 8, serving=40)
    # Saturated at 20 serving: the load is at least 20; the recent loads above 20 were 30 and 26.
    assert policy.decide(60 * 20, 1.0, 20, 20, 20, 0) == math.ceil(28.0 / 0.6)


def test_without_a_recent_load_above_the_bound_the_saturation_factor_applies() -> None:
    policy = PredictivePolicy(NO_NOISE)
    feed(policy, [10.0] * 10, serving=20)
    assert policy.decide(600, 1.0, 20, 20, 20, 0) == math.ceil(20 * 2.0 / 0.6)


def test_the_censored_history_can_be_turned_off() -> None:
    policy = PredictivePolicy(replace(NO_NOISE, saturation_history_minutes=0))
    feed(policy, [10.0] * 10 + [30.0] + [10.0] * 8, serving=40)
    assert policy.decide(60 * 19, 1.0, 20, 20, 20, 0) == math.ceil(20 * 2.0 / 0.6)


def test_noisy_loads_are_covered_by_the_noise_headroom_beyond_the_target() -> None:
    policy = PredictivePolicy()
    wanted = feed(policy, [10.0, 14.0] * 30)
    peak = policy.forecast.peak
    # The median change between successive loads is 4: cover peak + 3.75 x 4 at 100 %,
    # which is more than peak / 0.6 here.
    assert peak + 3.75 * 4 > peak / 0.6
    assert wanted == math.ceil(peak + 3.75 * 4)
    quiet = PredictivePolicy(NO_NOISE)
    assert feed(quiet, [10.0, 14.0] * 30) == math.ceil(quiet.forecast.peak / 0.6)


def test_the_noise_term_never_sizes_for_more_than_twice_the_target_sizing() -> None:
    policy = PredictivePolicy()
    wanted = feed(policy, [1.0, 5.0] * 30)
    peak = policy.forecast.peak
    assert peak + 3.75 * 4 > 2 * peak / 0.6  # the noise term alone would ask for more
    assert wanted == math.ceil(2 * peak / 0.6)


def test_a_smooth_load_is_sized_at_the_target_alone() -> None:
    policy = PredictivePolicy()
    assert feed(policy, [9.0, 9.1] * 30) == math.ceil(max(policy.forecast.peak / 0.6, policy.forecast.peak + 0.375))


def test_held_samples_do_not_dilute_the_noise() -> None:
    # A 5-minute metric held on the minute grid: the zero changes between held minutes are skipped.
    held = [v for v in [10.0, 14.0] * 12 for _ in range(5)]
    policy = PredictivePolicy()
    wanted = feed(policy, held)
    assert wanted == math.ceil(max(policy.forecast.peak / 0.6, policy.forecast.peak + 3.75 * 4))


def test_a_rise_within_the_noise_band_is_not_a_level_jump() -> None:
    loads = [10.0, 11.0] * 20
    banded = PredictivePolicy(PredictiveSettings(noise_headroom=0.0, noise_band=3.0))
    feed(banded, [*loads, 12.5])
    assert banded.forecast.peak < 11.0  # the level: 12.5 is within 3 x the median change (1)
    plain = PredictivePolicy(NO_NOISE)
    feed(plain, [*loads, 12.5])
    assert plain.forecast.peak == 12.5  # more than 10 % above the level: lifted at once
    beyond = PredictivePolicy(PredictiveSettings(noise_headroom=0.0, noise_band=3.0))
    feed(beyond, [*loads, 14.5])
    assert beyond.forecast.peak == 14.5


def test_the_reason_names_the_noise_headroom() -> None:
    policy = PredictivePolicy()
    history = [
        UtilisationSample(at=T0 + timedelta(minutes=i), utilisation=0.5 if i % 2 else 0.7, serving=20)
        for i in range(60)
    ]
    target, reasons = policy.evaluate(history, T0 + timedelta(minutes=60), serving=20, total=20, warming=0)
    assert target > 20
    assert "noise 4.00" in reasons[0]


def test_the_new_settings_are_read_from_a_mapping_and_validated() -> None:
    settings = PredictiveSettings.from_mapping(
        {"noise_headroom": 3, "noise_band": 2.5, "noise_window": 30, "saturation_history_minutes": 60}
    )
    assert (settings.noise_headroom, settings.noise_band, settings.noise_window) == (3.0, 2.5, 30)
    assert settings.saturation_history_minutes == 60
    with pytest.raises(ValueError, match=r"predictive\.noise_headroom: must be between 0 and 20"):
        PredictiveSettings.from_mapping({"noise_headroom": -1})
    with pytest.raises(ValueError, match=r"predictive\.noise_band: must be a number"):
        PredictiveSettings.from_mapping({"noise_band": "wide"})
    with pytest.raises(ValueError, match=r"predictive\.noise_window: must be an integer"):
        PredictiveSettings.from_mapping({"noise_window": 2.5})
    with pytest.raises(ValueError, match=r"predictive\.saturation_history_minutes: must be between 0 and 10080"):
        PredictiveSettings.from_mapping({"saturation_history_minutes": 20000})


def test_a_repeated_minute_is_not_a_second_sample() -> None:
    policy = PredictivePolicy()
    feed(policy, [10.0, 14.0] * 5)
    first = policy.decide(600, 0.9, 20, 20, 20, 0)
    assert policy.decide(600, 0.1, 20, 20, 20, 0) == first  # the same minute again: ignored
