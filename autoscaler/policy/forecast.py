"""Incremental short-horizon load forecaster for the predictive policy (pure, numpy).

What: from one observation per minute of the group's *load* (utilisation times the
serving count that measured it, i.e. instance-equivalents at 100 %), keep

- a level: an exponentially weighted mean of the load (``level_alpha`` per minute),
- a seasonal profile: one bin per minute of the season (a day by default), each an
  exponentially weighted mean across seasons of a smoothed load; it yields the
  *rise* expected over the next ``horizon`` minutes (never a fall: the profile only
  ever brings capacity forward, the level takes care of decreases),
- a burst headroom: the ``burst_quantile`` of the recent ratios "highest load in
  the following ``horizon`` minutes / peak forecast made then", over the last
  ``residual_window`` minutes.

Why this shape: a live controller sees only the metric's own history, and a decision
takes effect after the boot time, so what matters is the highest load over the boot
horizon. Seasonality gives the predictable part of that rise, recent residuals give
the unpredictable part. Every update is O(horizon) plain Python; the quantile is
recomputed every ``refresh_every`` minutes with numpy over a fixed-size ring, so the
per-minute cost stays bounded on histories of any length (a month of minutes replays
in well under a second).

Example::

    >>> f = SeasonalForecaster(ForecasterSettings(horizon=4))
    >>> for minute in range(10):
    ...     f.update(minute, 5.0)
    >>> round(f.forecast().peak, 3)
    5.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Forecast", "ForecasterSettings", "SeasonalForecaster"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecasterSettings:
    """Knobs of :class:`SeasonalForecaster`, all in minutes or per-minute weights.

    Defaults: ``level_alpha`` 0.3 (a ~3-minute memory: follows a step within a boot
    time, averages minute-level noise); ``season_minutes`` 1440 (daily cycles dominate
    request and CPU traces); ``season_alpha`` 0.3 (a seasonal bin is mostly the last
    three days); ``smooth_alpha`` 0.1 (the profile stores a ~10-minute mean so that a
    single noisy minute does not become a daily expectation); ``residual_window`` 1440
    (one day of residuals); ``refresh_every`` 60 (quantile recomputed hourly).
    """

    horizon: int = 4
    level_alpha: float = 0.3
    season_minutes: int = 1440
    season_alpha: float = 0.3
    smooth_alpha: float = 0.1
    trend_alpha: float | None = None
    burst_quantile: float | None = None
    residual_window: int = 1440
    refresh_every: int = 60

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 60:
            raise ValueError("horizon: must be between 1 and 60 minutes")
        for field in ("level_alpha", "season_alpha", "smooth_alpha"):
            if not 0 < getattr(self, field) <= 1:
                raise ValueError(f"{field}: must be in (0, 1]")
        if self.trend_alpha is not None and not 0 < self.trend_alpha <= 1:
            raise ValueError("trend_alpha: must be in (0, 1] or None")
        if self.season_minutes < 2 * self.horizon:
            raise ValueError("season_minutes: must be at least twice the horizon")
        if self.burst_quantile is not None and not 0.5 <= self.burst_quantile < 1:
            raise ValueError("burst_quantile: must be in [0.5, 1) or None")
        if self.residual_window < 30:
            raise ValueError("residual_window: must be >= 30 minutes")
        if self.refresh_every < 1:
            raise ValueError("refresh_every: must be >= 1 minute")


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """The forecast for the next ``horizon`` minutes, in instance-equivalents at 100 %.

    ``peak`` = ``level + seasonal_rise``; ``headroom`` is the burst ratio (>= 1) to
    apply to ``peak`` for the high quantile.
    """

    level: float
    seasonal_rise: float
    peak: float
    headroom: float


class SeasonalForecaster:
    """Level + seasonal rise + burst headroom, updated once per minute (see module doc)."""

    __slots__ = (
        "_actual",
        "_cfg",
        "_counts",
        "_headroom",
        "_last_minute",
        "_level",
        "_peaks",
        "_profile",
        "_residuals",
        "_rise",
        "_since_refresh",
        "_smooth",
        "_stored",
        "_trend",
    )

    def __init__(self, settings: ForecasterSettings | None = None) -> None:
        cfg = settings or ForecasterSettings()
        self._cfg = cfg
        self._profile = [0.0] * cfg.season_minutes
        self._counts = [0] * cfg.season_minutes
        self._level: float | None = None
        self._smooth = 0.0
        self._last_minute: int | None = None
        self._actual: list[float] = []
        self._peaks: list[float] = []
        self._residuals = np.zeros(cfg.residual_window, dtype=np.float64)
        self._stored = 0
        self._since_refresh = 0
        self._headroom = 1.0
        self._rise = 0.0
        self._trend = 0.0

    @property
    def settings(self) -> ForecasterSettings:
        return self._cfg

    @property
    def last_minute(self) -> int | None:
        """The minute index (epoch seconds // 60) of the last update, if any."""
        return self._last_minute

    def update(self, minute: int, load: float) -> None:
        """Ingest the load of ``minute`` (epoch minutes); older or repeated minutes are ignored."""
        if self._last_minute is not None and minute <= self._last_minute:
            return
        cfg = self._cfg
        self._last_minute = minute
        self._record_residual(load)
        level = self._level
        self._level = load if level is None else level + cfg.level_alpha * (load - level)
        if level is not None and cfg.trend_alpha is not None:
            self._trend += cfg.trend_alpha * (self._level - level - self._trend)
        self._smooth = load if level is None else self._smooth + cfg.smooth_alpha * (load - self._smooth)
        slot = minute % cfg.season_minutes
        weight = cfg.season_alpha if self._counts[slot] else 1.0
        self._profile[slot] += weight * (self._smooth - self._profile[slot])
        self._counts[slot] += 1
        self._rise = max(self._seasonal_rise(), self._trend * cfg.horizon)
        self._peaks.append(self._level + self._rise)
        if len(self._peaks) > cfg.horizon + 1:
            del self._peaks[0]

    def forecast(self) -> Forecast:
        """The current forecast; a flat zero forecast before the first update."""
        level = self._level or 0.0
        rise = self._rise
        return Forecast(level=level, seasonal_rise=rise, peak=level + rise, headroom=self._headroom)

    def _seasonal_rise(self) -> float:
        if self._last_minute is None:
            return 0.0
        cfg = self._cfg
        season, profile, counts = cfg.season_minutes, self._profile, self._counts
        now = self._last_minute % season
        best = 0.0
        for step in range(1, cfg.horizon + 1):
            slot = (now + step) % season
            # A bin filled only this season is not yet evidence of a cycle.
            if counts[slot] >= 2:
                best = max(best, profile[slot] - profile[now])
        return best

    def _record_residual(self, load: float) -> None:
        cfg = self._cfg
        if cfg.burst_quantile is None:
            return
        actual = self._actual
        actual.append(load)
        if len(actual) > cfg.horizon:
            del actual[0]
        if len(self._peaks) <= cfg.horizon:
            return
        predicted = self._peaks[0]
        if predicted > 0:
            self._residuals[self._stored % cfg.residual_window] = max(actual) / predicted
            self._stored += 1
        self._since_refresh += 1
        if self._since_refresh >= cfg.refresh_every and self._stored >= 30:
            self._since_refresh = 0
            window = self._residuals[: min(self._stored, cfg.residual_window)]
            self._headroom = max(1.0, float(np.quantile(window, cfg.burst_quantile)))
