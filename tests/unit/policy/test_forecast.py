"""The incremental seasonal forecaster on synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autoscaler.policy.forecast import ForecasterSettings, SeasonalForecaster

DAY = 1440


def daily_wave(minute: int) -> float:
    return 20.0 + 10.0 * math.sin(2 * math.pi * minute / DAY)


def test_a_constant_load_forecasts_itself_with_no_rise() -> None:
    f = SeasonalForecaster()
    for minute in range(100):
        f.update(minute, 7.0)
    fc = f.forecast()
    assert fc.level == pytest.approx(7.0)
    assert fc.seasonal_rise == 0.0
    assert fc.peak == pytest.approx(7.0)


def test_after_two_days_the_profile_brings_the_daily_rise_forward() -> None:
    horizon = 7
    f = SeasonalForecaster(ForecasterSettings(horizon=horizon))
    rises = []
    for minute in range(3 * DAY):
        f.update(minute, daily_wave(minute))
        if minute >= 2 * DAY and (minute % DAY) < DAY // 4:  # the steepest rising quarter
            future = max(daily_wave(minute + k) for k in range(1, horizon + 1))
            fc = f.forecast()
            rises.append((fc.level, fc.peak, future))
    # The level alone lags a rising wave by the rise over the horizon (about 0.26 here);
    # level + seasonal rise is within a tenth of an instance of the coming peak.
    level_miss = np.mean([future - level for level, _, future in rises])
    peak_miss = np.mean([abs(future - peak) for _, peak, future in rises])
    assert level_miss > 0.25
    assert peak_miss < 0.12


def test_in_the_first_season_no_seasonal_rise_is_assumed() -> None:
    f = SeasonalForecaster(ForecasterSettings(horizon=7))
    for minute in range(DAY // 2):
        f.update(minute, daily_wave(minute))
    assert f.forecast().seasonal_rise == 0.0


def test_the_burst_headroom_is_the_quantile_of_recent_forecast_misses() -> None:
    rng = np.random.default_rng(7)
    f = SeasonalForecaster(ForecasterSettings(horizon=4, burst_quantile=0.9, refresh_every=10))
    for minute in range(600):
        f.update(minute, float(10.0 * rng.lognormal(0.0, 0.3)))
    headroom = f.forecast().headroom
    assert 1.2 < headroom < 3.0
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
        ({"level_alpha": 0.0}, "level_alpha"),
        ({"burst_quantile": 1.0}, "burst_quantile"),
        ({"season_minutes": 3}, "season_minutes"),
        ({"trend_alpha": 2.0}, "trend_alpha"),
    ],
)
def test_invalid_settings_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ForecasterSettings(**kwargs)  # type: ignore[arg-type]
