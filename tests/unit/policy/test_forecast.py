"""The incremental forecaster: level with memory, additive seasonal model, model choice, headroom."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autoscaler.policy.forecast import ForecasterSettings, SeasonalForecaster

DAY = 1440


def daily_wave(minute: int) -> float:
    return 20.0 + 10.0 * math.sin(2 * math.pi * minute / DAY)


def test_a_constant_load_forecasts_itself() -> None:
    f = SeasonalForecaster()
    for minute in range(100):
        f.update(minute, 7.0)
    fc = f.forecast()
    assert (fc.level, fc.peak, fc.peak_out, fc.trigger) == pytest.approx((7.0, 7.0, 7.0, 7.0))
    assert not fc.seasonal
    assert fc.headroom == 1.0


def test_a_rise_is_followed_at_once_and_a_fall_once_the_memory_has_passed() -> None:
    f = SeasonalForecaster(ForecasterSettings(memory_minutes=15))
    minute = 0
    for minute in range(200):
        f.update(minute, 20.0)
    f.update(minute + 1, 30.0)
    assert f.forecast().peak == 30.0  # more than the 10 % jump tolerance above: at once
    for step in range(2, 16):
        f.update(minute + step, 10.0)
    assert f.forecast().peak > 15.0  # the level still remembers the high load
    f.update(minute + 16, 10.0)
    f.update(minute + 17, 10.0)
    assert f.forecast().peak == 10.0  # the 30 left the 15-minute memory


def test_a_small_rise_inside_the_tolerance_moves_only_the_level() -> None:
    f = SeasonalForecaster(ForecasterSettings(jump_tolerance=0.1, level_alpha=0.05))
    for minute in range(100):
        f.update(minute, 20.0)
    f.update(100, 21.0)
    assert f.forecast().peak == pytest.approx(20.05)


def test_a_censored_sample_lifts_the_forecast_even_inside_the_tolerance() -> None:
    f = SeasonalForecaster(ForecasterSettings(jump_tolerance=0.5))
    for minute in range(100):
        f.update(minute, 20.0)
    f.update(100, 22.0, censored=True)
    assert f.forecast().peak == 22.0


def test_after_a_season_the_seasonal_model_takes_over_and_brings_the_rise_forward() -> None:
    horizon = 7
    f = SeasonalForecaster(ForecasterSettings(horizon=horizon))
    chosen, seasonal_miss, level_miss = [], [], []
    for minute in range(3 * DAY):
        f.update(minute, daily_wave(minute))
        if minute >= 2 * DAY and (minute % DAY) < DAY // 4:  # the steepest rising quarter
            fc = f.forecast()
            future = max(daily_wave(minute + k) for k in range(1, horizon + 1))
            chosen.append(fc.seasonal)
            seasonal_miss.append(abs(future - fc.peak))
            level_miss.append(future - fc.level)
    assert all(chosen)
    assert float(np.mean(seasonal_miss)) < 0.05
    assert float(np.mean(level_miss)) > 0.5  # what the level alone would have missed


def test_in_the_first_season_only_the_level_model_is_used() -> None:
    f = SeasonalForecaster(ForecasterSettings(horizon=7))
    for minute in range(DAY // 2):
        f.update(minute, daily_wave(minute))
        assert not f.forecast().seasonal


def test_noise_without_a_cycle_keeps_the_level_model() -> None:
    rng = np.random.default_rng(11)
    f = SeasonalForecaster()
    chosen = []
    for minute in range(3 * DAY):
        f.update(minute, float(10.0 * rng.lognormal(0.0, 0.3)))
        if minute >= 2 * DAY:
            chosen.append(f.forecast().seasonal)
    assert sum(chosen) < 0.05 * len(chosen)


def test_on_a_falling_cycle_a_scale_out_looks_only_at_the_minutes_it_can_serve() -> None:
    f = SeasonalForecaster(ForecasterSettings(horizon=7, scale_out_from=4))
    for minute in range(2 * DAY + DAY // 2):  # stop on the falling half of the third day
        f.update(minute, daily_wave(minute))
    fc = f.forecast()
    assert fc.seasonal
    assert fc.peak > fc.peak_out >= fc.trigger


def test_the_burst_headroom_is_the_quantile_of_recent_forecast_misses() -> None:
    rng = np.random.default_rng(7)
    f = SeasonalForecaster(ForecasterSettings(horizon=4, burst_quantile=0.9, refresh_every=10))
    for minute in range(600):
        f.update(minute, float(10.0 * rng.lognormal(0.0, 0.3)))
    assert 1.05 < f.forecast().headroom < 3.0
    quiet = SeasonalForecaster(ForecasterSettings(horizon=4, burst_quantile=0.9, refresh_every=10))
    for minute in range(600):
        quiet.update(minute, 10.0)
    assert quiet.forecast().headroom == 1.0


def test_repeated_or_older_minutes_are_ignored() -> None:
    f = SeasonalForecaster()
    f.update(10, 5.0)
    f.update(10, 50.0)
    f.update(9, 50.0)
    assert f.forecast().level == 5.0
    assert f.last_minute == 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 4, "scale_out_from": 5}, "scale_out_from"),
        ({"level_alpha": 0.0}, "level_alpha"),
        ({"memory_minutes": 0}, "memory_minutes"),
        ({"burst_quantile": 1.0}, "burst_quantile"),
        ({"season_minutes": 3}, "season_minutes"),
        ({"under_forecast_weight": 0.5}, "under_forecast_weight"),
    ],
)
def test_invalid_settings_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ForecasterSettings(**kwargs)  # type: ignore[arg-type]


def test_a_rise_within_the_given_band_does_not_lift_the_level() -> None:
    f = SeasonalForecaster()
    for minute in range(100):
        f.update(minute, 20.0)
    f.update(100, 24.0, band=5.0)  # 20 % above, but within the band of 5
    assert f.forecast().peak == pytest.approx(20.2)  # the level moved by level_alpha only
    f.update(101, 26.0, band=5.0)  # beyond the band: lifted at once
    assert f.forecast().peak == 26.0


SEASON = 20
PATTERN = [10.0] * 11 + [12.0, 20.0, 14.0, 22.0, 18.0] + [10.0] * 4
"""One 20-minute season; seen from slot 9 the next six minutes are 10, 12, 20, 14, 22, 18."""


def forecast_at_slot_9(serialised: bool) -> tuple[float, float, float, bool]:
    cfg = ForecasterSettings(horizon=6, scale_out_from=4, serialised_scale_out=serialised, season_minutes=SEASON)
    f = SeasonalForecaster(cfg)
    for minute in range(5 * SEASON + 10):  # ends on slot 9 of the sixth season
        f.update(minute, PATTERN[minute % SEASON])
    fc = f.forecast()
    return fc.peak, fc.peak_out, fc.trigger, fc.seasonal


def test_without_serialised_scale_outs_the_peaks_are_maxima_over_the_horizon() -> None:
    # peak: max of all six minutes; peak_out: max from minute 4 (14, 22, 18); trigger: minute 4.
    assert forecast_at_slot_9(False) == pytest.approx((22.0, 22.0, 14.0, True))


def test_with_serialised_scale_outs_a_scale_out_covers_the_mean_of_its_window() -> None:
    # peak (scale-in): max of minutes 1-4 = max(10, 12, 20, 14) = 20; peak_out:
    # max(trigger 14, mean(14, 22, 18) = 18) = 18.
    assert forecast_at_slot_9(True) == pytest.approx((20.0, 18.0, 14.0, True))
