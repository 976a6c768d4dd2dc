"""Incremental short-horizon load forecaster for the predictive policy (pure Python + numpy).

What: from one observation per minute of the group's *load* (utilisation times the
serving count that measured it, i.e. instance-equivalents at 100 %), forecast the
highest load of the next ``horizon`` minutes with two competing models:

- **level with memory** (no seasonality): an exponentially weighted mean of the load
  (``level_alpha``), capped by the highest load of the last ``memory_minutes`` (so a
  clear fall is followed once the memory has forgotten the old high), and lifted at
  once to the newest load when that exceeds it by more than ``jump_tolerance`` (or
  when the sample is censored by saturation): scale out at once, scale in slowly;
- **additive seasonal**: a profile with one bin per minute of the season (a day by
  default; each bin an exponentially weighted mean across seasons, ``season_alpha``)
  plus a deseasonalised level (``deseasonalised_alpha``; at its default of 1 it is the
  latest load's offset from the profile); its forecast for each minute of the horizon
  is ``offset + profile[minute]``, i.e. the latest load plus the change the profile
  expects, so it brings a recurring rise forward *and* lets capacity follow a
  recurring fall without waiting.

Each minute, both models' forecasts made ``horizon`` minutes earlier are scored
against the load that came, with an asymmetric squared error (a shortfall weighs
``under_forecast_weight`` times an excess, because a shortfall is an overload and an
excess only costs); the seasonal model is used while its running error
(``skill_alpha``) is lower. So a trace without usable seasonality falls back to the
level model by itself, and no seasonality is assumed before one season has passed.

An optional burst headroom (``burst_quantile``) is the quantile of the recent ratios
"load / peak forecast made ``horizon`` minutes earlier" over ``residual_window``
minutes; it is recomputed every ``refresh_every`` minutes with numpy over a
fixed-size ring.

Why incremental: a live controller evaluates every tick and a replay runs a month of
minutes in well under a second, so each update is O(horizon + memory) plain Python and
nothing is ever recomputed over the whole history.

Example::

    >>> f = SeasonalForecaster(ForecasterSettings(horizon=4))
    >>> for minute in range(10):
    ...     f.update(minute, 5.0)
    >>> f.forecast().peak
    5.0
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["Forecast", "ForecasterSettings", "SeasonalForecaster"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecasterSettings:
    """Knobs of :class:`SeasonalForecaster`, in minutes or per-minute weights.

    Defaults and why: ``level_alpha`` 0.05 (a ~20-minute mean, four 5-minute metric
    periods); ``memory_minutes`` 15 (scale in only after three 5-minute periods below);
    ``jump_tolerance`` 0.1 (Kubernetes HPA's tolerance); ``season_minutes`` 1440 (daily
    cycles dominate request and CPU traces); ``season_alpha`` 0.3 (a bin is mostly the
    last three days); ``deseasonalised_alpha`` 1 (the latest load plus the profile's
    change); ``skill_alpha`` 0.005 (model choice over the last few hours);
    ``under_forecast_weight`` 10 (a shortfall is an overload); ``burst_quantile`` None
    (on the shared traces it bought overload at more than the goal's cost);
    ``horizon``, ``scale_out_from`` and ``serialised_scale_out`` are set by the policy
    from the boot time and whether the group serialises scale-outs.
    """

    horizon: int = 4
    scale_out_from: int = 1
    serialised_scale_out: bool = False
    level_alpha: float = 0.05
    memory_minutes: int = 15
    jump_tolerance: float = 0.1
    season_minutes: int = 1440
    season_alpha: float = 0.3
    deseasonalised_alpha: float = 1.0
    skill_alpha: float = 0.005
    under_forecast_weight: float = 10.0
    burst_quantile: float | None = None
    residual_window: int = 1440
    refresh_every: int = 60

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 60:
            raise ValueError("horizon: must be between 1 and 60 minutes")
        if not 1 <= self.scale_out_from <= self.horizon:
            raise ValueError("scale_out_from: must be between 1 and the horizon")
        for name in ("level_alpha", "season_alpha", "deseasonalised_alpha", "skill_alpha"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name}: must be in (0, 1]")
        if not 1 <= self.memory_minutes <= 1440:
            raise ValueError("memory_minutes: must be between 1 and 1440")
        if not 0 <= self.jump_tolerance <= 1:
            raise ValueError("jump_tolerance: must be in [0, 1]")
        if self.season_minutes < 2 * self.horizon:
            raise ValueError("season_minutes: must be at least twice the horizon")
        if self.under_forecast_weight < 1:
            raise ValueError("under_forecast_weight: must be >= 1")
        if self.burst_quantile is not None and not 0.5 <= self.burst_quantile < 1:
            raise ValueError("burst_quantile: must be in [0.5, 1) or None")
        if self.residual_window < 30:
            raise ValueError("residual_window: must be >= 30 minutes")
        if self.refresh_every < 1:
            raise ValueError("refresh_every: must be >= 1 minute")


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """The forecast for the next ``horizon`` minutes, in instance-equivalents at 100 %.

    ``peak`` is the highest load expected over the whole horizon (what a scale-in must
    still cover: removed capacity cannot come back sooner); ``peak_out`` the highest
    from minute ``scale_out_from`` on (what a scale-out launched now can still serve);
    with ``serialised_scale_out`` (the next scale-out serves only after the horizon)
    ``peak`` covers only the minutes until ``scale_out_from`` (a scale-in does not wait
    for a scale-out to finish: removed capacity can come back from that minute) and
    ``peak_out`` is the load at ``scale_out_from`` or the mean load from there to the
    end of the horizon if higher (the max of noisy per-minute bins is biased up);
    ``trigger`` the load expected at minute ``scale_out_from`` itself (whether a
    scale-out is due now: later minutes can still be served by a later decision);
    ``seasonal`` tells which model gave them; ``headroom`` is the burst ratio (>= 1)
    to apply for the high quantile.
    """

    level: float
    peak: float
    peak_out: float
    trigger: float
    seasonal: bool
    headroom: float


class SeasonalForecaster:
    """Level-with-memory and additive-seasonal models, chosen by recent skill (see module doc)."""

    __slots__ = (
        "_cfg",
        "_counts",
        "_deseasonalised",
        "_error_level",
        "_error_seasonal",
        "_headroom",
        "_last_minute",
        "_level",
        "_made",
        "_memory",
        "_peak",
        "_peak_out",
        "_peaks",
        "_profile",
        "_residuals",
        "_seasonal",
        "_since_refresh",
        "_stored",
        "_trigger",
    )  # fmt: skip

    def __init__(self, settings: ForecasterSettings | None = None) -> None:
        cfg = settings or ForecasterSettings()
        self._cfg = cfg
        self._profile = [0.0] * cfg.season_minutes
        self._counts = [0] * cfg.season_minutes
        self._level: float | None = None
        self._deseasonalised = 0.0
        self._memory: deque[float] = deque(maxlen=cfg.memory_minutes)
        self._made: deque[tuple[float, float | None]] = deque(maxlen=cfg.horizon)
        self._error_level = 0.0
        self._error_seasonal = 0.0
        self._last_minute: int | None = None
        self._peak = 0.0
        self._peak_out = 0.0
        self._trigger = 0.0
        self._seasonal = False
        self._peaks: deque[float] = deque(maxlen=cfg.horizon)
        self._residuals = np.zeros(cfg.residual_window, dtype=np.float64)
        self._stored = 0
        self._since_refresh = 0
        self._headroom = 1.0

    @property
    def settings(self) -> ForecasterSettings:
        return self._cfg

    @property
    def last_minute(self) -> int | None:
        """The minute index (epoch seconds // 60) of the last update, if any."""
        return self._last_minute

    def forecast(self) -> Forecast:
        """The current forecast; a flat zero forecast before the first update."""
        return Forecast(
            level=self._level or 0.0,
            peak=self._peak,
            peak_out=self._peak_out,
            trigger=self._trigger,
            seasonal=self._seasonal,
            headroom=self._headroom,
        )

    def sizing_loads(self) -> tuple[float, float, float, float]:
        """``(trigger, peak_out, peak, headroom)`` of :meth:`forecast`, without building it (hot path)."""
        return self._trigger, self._peak_out, self._peak, self._headroom

    def update(self, minute: int, load: float, *, censored: bool = False, band: float = 0.0) -> None:
        """Ingest the load of ``minute`` (epoch minutes); older or repeated minutes are ignored.

        ``censored`` marks a lower bound (the metric was saturated): it always lifts
        the level model at once. ``band`` (in load units, >= 0) widens the jump
        tolerance: a rise must also exceed the forecast by more than ``band`` to lift
        it at once (the caller's noise allowance).
        """
        if self._last_minute is not None and minute <= self._last_minute:
            return
        self._last_minute = minute
        self._score(load)
        self._record_residual(load)
        base = self._level_model(load, censored, band)
        seasonal = self._seasonal_model(minute, load)
        self._made.append((base, None if seasonal is None else seasonal[0]))
        use_seasonal = seasonal is not None and self._error_seasonal < self._error_level
        self._seasonal = use_seasonal
        if seasonal is not None and use_seasonal:
            _, peak, peak_out, trigger = seasonal
            if censored or load > max(peak * (1 + self._cfg.jump_tolerance), peak + band):
                peak, peak_out, trigger = max(peak, load), max(peak_out, load), max(trigger, load)
        else:
            peak = peak_out = trigger = base
        self._peak, self._peak_out, self._trigger = peak, peak_out, trigger
        self._peaks.append(peak)

    def _score(self, load: float) -> None:
        """Score the forecasts made ``horizon`` minutes ago against ``load``."""
        cfg = self._cfg
        if len(self._made) < cfg.horizon:
            return
        level_forecast, seasonal_forecast = self._made[0]
        level_loss = _loss(level_forecast, load, cfg.under_forecast_weight)
        self._error_level += cfg.skill_alpha * (level_loss - self._error_level)
        # Without a seasonal forecast the seasonal model is scored a hair worse.
        seasonal_loss = (
            level_loss * 1.0001 if seasonal_forecast is None
            else _loss(seasonal_forecast, load, cfg.under_forecast_weight)
        )  # fmt: skip
        self._error_seasonal += cfg.skill_alpha * (seasonal_loss - self._error_seasonal)

    def _level_model(self, load: float, censored: bool, band: float) -> float:
        cfg = self._cfg
        level = self._level
        self._level = level = load if level is None else level + cfg.level_alpha * (load - level)
        self._memory.append(load)
        base = min(level, max(self._memory))
        if censored or load > max(base * (1 + cfg.jump_tolerance), base + band):
            base = max(base, load)
        return base

    def _seasonal_model(self, minute: int, load: float) -> tuple[float, float, float, float] | None:
        """Update the profile; once a season is known return the forecast at the horizon,
        the scale-in peak, the scale-out sizing load (see :class:`Forecast`) and the
        forecast at ``scale_out_from``."""
        cfg = self._cfg
        season, profile, counts = cfg.season_minutes, self._profile, self._counts
        slot = minute % season
        result: tuple[float, float, float, float] | None = None
        if counts[slot] and counts[(slot + cfg.horizon) % season]:
            self._deseasonalised += cfg.deseasonalised_alpha * (load - profile[slot] - self._deseasonalised)
            offset = self._deseasonalised
            ahead = [profile[(slot + step) % season] for step in range(1, cfg.horizon + 1)]
            first = cfg.scale_out_from - 1
            if cfg.serialised_scale_out:
                # A scale-in covers the minutes until a scale-out could serve again; a
                # scale-out its first minute and, on the mean, the rest of the horizon
                # (the max of noisy per-minute bins would be biased up).
                rest = ahead[first:]
                peak, out = max(ahead[: first + 1]), max(ahead[first], sum(rest) / len(rest))
            else:
                peak, out = max(ahead), max(ahead[first:])
            result = (offset + ahead[-1], offset + peak, offset + out, offset + ahead[first])
        weight = cfg.season_alpha if counts[slot] else 1.0
        profile[slot] += weight * (load - profile[slot])
        counts[slot] += 1
        return result

    def _record_residual(self, load: float) -> None:
        cfg = self._cfg
        if cfg.burst_quantile is None or len(self._peaks) < cfg.horizon:
            return
        predicted = self._peaks[0]
        if predicted > 0:
            self._residuals[self._stored % cfg.residual_window] = load / predicted
            self._stored += 1
        self._since_refresh += 1
        if self._since_refresh >= cfg.refresh_every and self._stored >= 30:
            self._since_refresh = 0
            window = self._residuals[: min(self._stored, cfg.residual_window)]
            self._headroom = max(1.0, float(np.quantile(window, cfg.burst_quantile)))


def _loss(forecast: float, actual: float, under_weight: float) -> float:
    miss = actual - forecast
    return miss * miss * (under_weight if miss > 0 else 1.0)
