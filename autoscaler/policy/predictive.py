"""The predictive policy: target tracking on a forecast of the load over the boot horizon.

What: a policy type users can choose (``type: predictive``) that sizes the group for
the load it *will* see when new instances are ready, not for the last minute. From
the utilisation history alone (what a live controller has) it derives the load in
instance-equivalents, ``utilisation x serving``, feeds a
:class:`~autoscaler.policy.forecast.SeasonalForecaster` (level with memory, or the
additive seasonal model while that forecasts better) and, with ``factor =
max(1 / target_utilisation, headroom)``:

- scales out when ``size(trigger) > total``, where ``trigger`` is the load forecast
  for minute ``boot + 1`` (the first a launch started now can serve), to
  ``size(peak_out)``: the trigger, or under serialised scale-outs the mean load
  forecast until the next scale-out could serve if higher; no scale-out within
  ``scale_out_tolerance`` of the total unless saturated;
- otherwise scales in to ``size(peak)`` when lower, ``peak`` covering the minutes
  until minute ``boot + 1`` (removed capacity cannot come back sooner than a boot),
  and never below the peak of a recent short burst at 100 % (below);

where ``size(load) = ceil(max(load x factor, min(load + noise_headroom x noise,
load x factor x noise_headroom_cap)))``: the target, and also the load plus a
multiple of its *noise* at 100 %, the noise being the median absolute change between
successive distinct loads over the last ``noise_window`` changes (held samples of a
coarser metric are skipped). The cap keeps the noise term from sizing for more than
``noise_headroom_cap`` times the target sizing.

``headroom`` is the optional burst quantile (the high quantile must fit under 100 %),
1 by default. The horizon is the boot time plus one minute; when the group serialises
scale-outs (ESS rejects ExecuteScalingRule with ScalingActivityInProgress while
instances launch) it is two boot times: the next scale-out can start only when this
one is in service, and serves from minute ``2 x boot + 1``.

Why these rules:

- A saturated sample (utilisation at 100 %) hides the demand: it is only known to be
  at least ``serving x C``. The policy estimates it as the mean of the uncensored
  loads of the last ``saturation_history_minutes`` that exceeded that bound (the
  recent distribution conditioned on the censoring: a burst to a level seen before
  is met in one decision, a saturation barely above the capacity is not answered
  with a doubling); when no recent load exceeded it, ``saturation_factor`` times the
  bound (HPA's doubling cap is the same idea), so that one decision, not a chain of
  doublings each paying a boot time, catches a burst.
- A fixed 60 % target is too little headroom for a noisy load (single-minute spikes
  of 2-3x the level at night) and more than enough for a smooth one: the noise term
  puts the standing headroom where the load's own recent changes say it is needed,
  and nowhere else. The median (not the mean) keeps a regime change (a burst
  starting or ending) from reading as noise.
- A rise within ``noise_band`` times the noise is noise, not a new level: it does not
  lift the forecast at once (the noise headroom already covers it), so a one-minute
  spike does not launch capacity that would arrive after the spike has gone.
- A *short burst* (the load above the forecast by more than the jump tolerance and
  the noise band for ``short_burst_min_minutes`` to ``boot + 1`` minutes, then back)
  is too short for a scale-out to catch: only capacity already serving meets it. Such
  bursts (batch jobs) recur, so for ``short_burst_memory_minutes`` after one the
  group is not scaled in below its peak plus ``short_burst_margin`` noise units at
  100 % (a recurrence is another draw of the same noisy load, not an exact copy).
  One-minute excursions are left to the noise headroom (a single sample is an
  outlier, not a burst).
- Scale-in follows the forecast down (the forecaster already scales in slowly), holding
  the highest proposal of the last ``scale_in_window`` minutes (one proposal per
  minute, however often the controller ticks); stale or missing metrics never scale
  in (DESIGN.md).
- ``mode: forecast-only`` is the shadow mode: the policy forecasts and explains what
  it would do, and returns the current total.

Evaluation is incremental: each call ingests only the samples newer than the last one
seen (one per minute: the forecaster works on the 60 s grid), so the per-tick cost is
bounded whatever the length of the history.

Example::

    >>> from datetime import datetime, timezone
    >>> policy = PredictivePolicy(PredictiveSettings())
    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> policy.evaluate([UtilisationSample(at=t0, utilisation=0.9, serving=10)],
    ...                 now=t0, serving=10, total=10, warming=0)[0]
    15
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from autoscaler.policy.forecast import Forecast, ForecasterSettings, SeasonalForecaster

__all__ = [
    "PredictiveMode",
    "PredictivePolicy",
    "PredictiveSettings",
    "UtilisationSample",
]

_EPS = 1e-9


class PredictiveMode(StrEnum):
    ACTIVE = "active"
    FORECAST_ONLY = "forecast-only"


class UtilisationSample(NamedTuple):
    """One minute of the metric: its (aware) time, the utilisation, and who served it."""

    at: datetime
    utilisation: float
    serving: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictiveSettings:
    """Settings of :class:`PredictivePolicy`; defaults are the project's recommendation.

    ``target`` utilisation 0.6 (BENCHMARKS.md); ``boot_minutes`` 3 (launch to serving);
    ``serialised_scale_out`` True (ESS: one scale-out activity at a time; the benchmark's
    recommended policy sets it as its model does, see docs/benchmarks.md);
    ``saturation_factor`` 2.0 (load assumed, times the serving load, when the metric is
    pinned at 100 %: HPA's doubling); ``saturation_threshold`` 0.999;
    ``scale_out_tolerance`` 0.1 (HPA's tolerance: no scale-out for a proposal within 10 %
    of the current total, unless saturated); ``scale_in_window`` 1 minute (the forecaster
    already scales in slowly); ``stale_after_minutes`` 5;
    ``saturation_history_minutes`` 1440 (a day of uncensored loads estimates a
    saturated one; 0: always ``saturation_factor``); ``noise_headroom`` 3.75 (noise
    units covered at 100 %; 0 turns the noise term off); ``noise_headroom_cap`` 2 (the
    noise term never sizes for more than twice the target sizing); ``noise_band`` 3
    (noise units a rise must exceed to lift the forecast at once; 0: only the jump
    tolerance); ``noise_window`` 60 (distinct changes in the noise median);
    ``short_burst_memory_minutes`` 60 (how long the peak of a short burst is kept
    serviceable at 100 %; 0 turns the burst memory off); ``short_burst_min_minutes`` 2
    (shorter excursions are outliers; a burst lasts at most ``boot_minutes + 1``);
    ``short_burst_margin`` 1 (noise units added to a remembered burst's peak);
    ``forecaster`` the forecaster's own settings (its horizon is derived here).
    The noise values were chosen on the shared traces and checked leave-one-out
    (docs/benchmarks.md).
    """

    target: float = 0.6
    mode: PredictiveMode = PredictiveMode.ACTIVE
    boot_minutes: int = 3
    serialised_scale_out: bool = True
    saturation_factor: float = 2.0
    saturation_threshold: float = 0.999
    scale_out_tolerance: float = 0.1
    scale_in_window: int = 1
    stale_after_minutes: int = 5
    saturation_history_minutes: int = 1440
    noise_headroom: float = 3.75
    noise_band: float = 3.0
    noise_window: int = 60
    noise_headroom_cap: float = 2.0
    short_burst_memory_minutes: int = 60
    short_burst_min_minutes: int = 2
    short_burst_margin: float = 1.0
    forecaster: ForecasterSettings = field(default_factory=ForecasterSettings)

    def __post_init__(self) -> None:
        if not 0 < self.target <= 1:
            raise ValueError("target: must be in (0, 1]")
        if not 0 <= self.boot_minutes <= 29:
            raise ValueError("boot_minutes: must be between 0 and 29")
        if not 1 <= self.saturation_factor <= 10:
            raise ValueError("saturation_factor: must be between 1 and 10")
        if not 0.5 < self.saturation_threshold <= 1:
            raise ValueError("saturation_threshold: must be in (0.5, 1]")
        if not 0 <= self.scale_out_tolerance <= 1:
            raise ValueError("scale_out_tolerance: must be in [0, 1]")
        if not 1 <= self.scale_in_window <= 60:
            raise ValueError("scale_in_window: must be between 1 and 60 minutes")
        if self.stale_after_minutes < 1:
            raise ValueError("stale_after_minutes: must be >= 1")
        if not 0 <= self.saturation_history_minutes <= 10080:
            raise ValueError("saturation_history_minutes: must be between 0 and 10080")
        if not 0 <= self.noise_headroom <= 20:
            raise ValueError("noise_headroom: must be between 0 and 20")
        if not 0 <= self.noise_band <= 20:
            raise ValueError("noise_band: must be between 0 and 20")
        if not 1 <= self.noise_headroom_cap <= 10:
            raise ValueError("noise_headroom_cap: must be between 1 and 10")
        if not 1 <= self.noise_window <= 1440:
            raise ValueError("noise_window: must be between 1 and 1440 changes")
        if not 0 <= self.short_burst_memory_minutes <= 1440:
            raise ValueError("short_burst_memory_minutes: must be between 0 and 1440")
        if not 1 <= self.short_burst_min_minutes <= 30:
            raise ValueError("short_burst_min_minutes: must be between 1 and 30")
        if not 0 <= self.short_burst_margin <= 20:
            raise ValueError("short_burst_margin: must be between 0 and 20")
        effect = min(self.boot_minutes + 1, self.horizon_minutes)
        fc = self.forecaster
        serialised = self.serialised_scale_out
        if fc.horizon != self.horizon_minutes or fc.scale_out_from != effect or fc.serialised_scale_out != serialised:
            fc = replace(fc, horizon=self.horizon_minutes, scale_out_from=1)
            object.__setattr__(self, "forecaster", replace(fc, scale_out_from=effect, serialised_scale_out=serialised))

    @property
    def horizon_minutes(self) -> int:
        """Minutes ahead a decision must cover (see the module docstring)."""
        if self.serialised_scale_out:
            return max(1, 2 * self.boot_minutes)
        return self.boot_minutes + 1

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, path: str = "predictive") -> PredictiveSettings:
        """Build from a parsed configuration mapping; errors name ``path.field``."""
        known = {"target", "mode", "boot_minutes", "serialised_scale_out", "saturation_factor",
                 "scale_out_tolerance", "scale_in_window", "stale_after_minutes", "saturation_history_minutes",
                 "noise_headroom", "noise_headroom_cap", "noise_band", "noise_window", "short_burst_memory_minutes",
                 "short_burst_min_minutes", "short_burst_margin", *_FORECASTER_FIELDS}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{path}.{unknown[0]}: unknown field")
        kwargs: dict[str, object] = {}
        forecaster: dict[str, object] = {}
        for key, value in data.items():
            try:
                parsed = _parse_field(key, value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}.{key}: {exc}") from exc
            (forecaster if key in _FORECASTER_FIELDS else kwargs)[key] = parsed
        try:
            return cls(forecaster=ForecasterSettings(**forecaster), **kwargs)  # type: ignore[arg-type]  # parsed above
        except ValueError as exc:
            raise ValueError(f"{path}.{exc}") from exc


_FORECASTER_FIELDS = frozenset({"burst_quantile", "level_alpha", "memory_minutes", "season_minutes"})
_INTEGER_FIELDS = frozenset(
    {"boot_minutes", "scale_in_window", "stale_after_minutes", "memory_minutes", "season_minutes",
     "saturation_history_minutes", "noise_window", "short_burst_memory_minutes", "short_burst_min_minutes"}
)


def _parse_field(key: str, value: object) -> object:
    if key == "mode":
        if not isinstance(value, str):
            raise TypeError("must be a string")
        try:
            return PredictiveMode(value)
        except ValueError:
            raise ValueError(f"must be one of {[m.value for m in PredictiveMode]}") from None
    if key == "serialised_scale_out":
        if not isinstance(value, bool):
            raise TypeError("must be true or false")
        return value
    if key == "burst_quantile" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("must be a number")
    if key in _INTEGER_FIELDS:
        if not isinstance(value, int):
            raise TypeError("must be an integer")
        return value
    return float(value)


class PredictivePolicy:
    """Stateful evaluator of the predictive policy for one group (see the module doc)."""

    name = "predictive"

    def __init__(self, settings: PredictiveSettings | None = None) -> None:
        self.settings = settings or PredictiveSettings()
        self._forecaster = SeasonalForecaster(self.settings.forecaster)
        self._recent: deque[int] = deque(maxlen=self.settings.scale_in_window)
        self._recent_minute: int | None = None
        self._saturated = False
        self._last_load: float | None = None
        self._noise = 0.0
        self._changes: deque[float] = deque(maxlen=self.settings.noise_window)
        self._uncensored: deque[float] = deque(maxlen=max(1, self.settings.saturation_history_minutes))
        # Short bursts: the open excursion (first minute, threshold, highest load) and the
        # remembered floors (expiry minute, peak + margin), decreasing in floor and
        # increasing in expiry (a monotonic queue: O(1) amortised per minute).
        self._excursion: tuple[int, float, float] | None = None
        self._bursts: deque[tuple[int, float]] = deque()

    @property
    def forecast(self) -> Forecast:
        """The forecast behind the last decision (what the shadow mode reports)."""
        return self._forecaster.forecast()

    def observe(self, minute: int, utilisation: float, serving: int) -> None:
        """Ingest the sample of ``minute`` (epoch seconds // 60); repeated minutes are ignored."""
        cfg = self.settings
        last = self._forecaster.last_minute
        if last is not None and minute <= last:
            return
        load = utilisation * serving
        # With nothing serving the sample says only that something waits: at least one instance.
        self._saturated = utilisation >= cfg.saturation_threshold or serving <= 0
        if self._saturated:
            load = self._censored_estimate(max(load, serving, 1))
        else:
            if cfg.saturation_history_minutes:
                self._uncensored.append(load)
            if cfg.noise_headroom or cfg.noise_band:
                self._track_noise(load)
        if cfg.short_burst_memory_minutes:
            self._track_burst(minute, load)
        self._forecaster.update(minute, load, censored=self._saturated, band=cfg.noise_band * self._noise)

    def _censored_estimate(self, bound: float) -> float:
        """The load behind a saturated sample known only to be at least ``bound``.

        With a history, the mean of the recent uncensored loads above the bound (the
        empirical distribution conditioned on the censoring); without one, or when no
        recent load exceeded the bound, ``saturation_factor`` times the bound.
        """
        above = [x for x in self._uncensored if x > bound] if self.settings.saturation_history_minutes else []
        if not above:
            return bound * self.settings.saturation_factor
        return sum(above) / len(above)

    def _track_burst(self, minute: int, load: float) -> None:
        """Follow an excursion above the forecast; remember its peak if it was a short burst.

        An excursion opens when the load exceeds the forecast for this minute by more than
        the jump tolerance and the noise band (what lifts the forecast at once) or is
        censored; it closes at the first load back under that threshold. It was a short
        burst when it lasted from ``short_burst_min_minutes`` to ``boot_minutes + 1``
        minutes (a longer one was a new level or a burst a scale-out could follow), and
        its peak plus ``short_burst_margin`` noise units is remembered.
        """
        cfg = self.settings
        excursion = self._excursion
        if excursion is None:
            if self._forecaster.last_minute is None:
                return
            base = self._forecaster.sizing_loads()[0]
            threshold = max(base * (1 + cfg.forecaster.jump_tolerance), base + cfg.noise_band * self._noise)
            if self._saturated or load > threshold:
                self._excursion = (minute, threshold, load)
            return
        start, threshold, high = excursion
        if self._saturated or load > threshold:
            self._excursion = (start, threshold, max(high, load))
            return
        self._excursion = None
        if cfg.short_burst_min_minutes <= minute - start <= cfg.boot_minutes + 1:
            floor = high + cfg.short_burst_margin * self._noise
            bursts = self._bursts
            while bursts and bursts[-1][1] <= floor:
                bursts.pop()
            bursts.append((minute + cfg.short_burst_memory_minutes, floor))

    def burst_floor(self) -> float:
        """The load (at 100 %) no scale-in goes below: the highest remembered short burst
        plus its margin, 0 without one."""
        bursts, minute = self._bursts, self._forecaster.last_minute
        while bursts and minute is not None and bursts[0][0] < minute:
            bursts.popleft()
        return bursts[0][1] if bursts else 0.0

    def _track_noise(self, load: float) -> None:
        """Median absolute change between successive distinct loads (held samples skipped)."""
        last = self._last_load
        self._last_load = load
        if last is None or abs(load - last) <= _EPS * max(load, last):
            return
        changes = self._changes
        changes.append(abs(load - last))
        self._noise = sorted(changes)[len(changes) // 2]

    def recommend(self, total: int) -> int:
        """The wanted total for the current forecast, with the scale-in hold applied."""
        cfg = self.settings
        trigger, peak_out, peak, headroom = self._forecaster.sizing_loads()
        factor = max(1.0 / cfg.target, headroom)
        noise, cap = cfg.noise_headroom * self._noise, factor * cfg.noise_headroom_cap
        due = _size(trigger, factor, noise, cap)
        if due > total:
            # Size for the peak until the next scale-out could take effect.
            wanted = _size(peak_out, factor, noise, cap)
            if not self._saturated and wanted <= total * (1 + cfg.scale_out_tolerance):
                wanted = total
        else:
            wanted = min(total, max(_size(peak, factor, noise, cap), math.ceil(self.burst_floor() - _EPS)))
        # One proposal per minute in the hold window, however often the controller ticks.
        minute = self._forecaster.last_minute
        if self._recent and minute == self._recent_minute:
            self._recent[-1] = wanted
        else:
            self._recent.append(wanted)
            self._recent_minute = minute
        if wanted >= total:
            return wanted
        return min(total, max(self._recent))

    def decide(self, at: int, utilisation: float, sample_serving: int, serving: int, total: int, warming: int) -> int:
        """Fast path of the replay harness (``MinutePolicy``): ``at`` is the sample's epoch second."""
        self.observe(at // 60, utilisation, sample_serving)
        wanted = self.recommend(total)
        return total if self.settings.mode is PredictiveMode.FORECAST_ONLY else wanted

    def evaluate(
        self, history: Sequence[UtilisationSample], now: datetime, serving: int, total: int, warming: int
    ) -> tuple[int, tuple[str, ...]]:
        """Ingest the new samples of ``history`` and return ``(target total, reasons)``."""
        if now.tzinfo is None:
            raise ValueError("now: must be timezone-aware")
        newest = self._ingest(history)
        cfg = self.settings
        if newest is None or (now - newest).total_seconds() > 60 * cfg.stale_after_minutes:
            return total, (f"predictive: no sample in the last {cfg.stale_after_minutes} min; holding {total}",)
        wanted = self.recommend(total)
        fc = self._forecaster.forecast()
        model = "seasonal" if fc.seasonal else "level"
        reasons = [
            f"predictive: {model} model, peak load {fc.peak:.2f} over {cfg.horizon_minutes} min "
            f"(level {fc.level:.2f}, headroom {fc.headroom:.2f}, noise {self._noise:.2f}) -> "
            f"max(ceil({fc.peak:.2f}/{cfg.target:g}), ceil({fc.peak:.2f}*{fc.headroom:.2f}), "
            f"ceil({fc.peak:.2f}+{cfg.noise_headroom:g}*{self._noise:.2f})) = {wanted} "
            f"(serving {serving}, warming {warming})"
        ]
        if self._saturated:
            reasons.append(f"saturated: utilisation >= {cfg.saturation_threshold:g}, load assumed "
                           f"{cfg.saturation_factor:g} x the serving capacity")
        floor = self.burst_floor()
        if floor:
            reasons.append(f"short burst in the last {cfg.short_burst_memory_minutes} min: peak + "
                           f"{cfg.short_burst_margin:g} noise = load {floor:.2f}, no scale-in below "
                           f"{math.ceil(floor - _EPS)}")
        if cfg.mode is PredictiveMode.FORECAST_ONLY:
            reasons.append(f"forecast-only: would set {wanted}, keeping {total}")
            return total, tuple(reasons)
        return wanted, tuple(reasons)

    def _ingest(self, history: Sequence[UtilisationSample]) -> datetime | None:
        last = self._forecaster.last_minute
        start = len(history)
        while start > 0 and (last is None or _minute(history[start - 1].at) > last):
            start -= 1
        for index in range(start, len(history)):
            sample = history[index]
            if not math.isfinite(sample.utilisation) or sample.utilisation < 0:
                raise ValueError(f"history[{index}].utilisation: must be a finite number >= 0")
            if sample.serving < 0:
                raise ValueError(f"history[{index}].serving: must be >= 0")
            self.observe(_minute(sample.at), sample.utilisation, sample.serving)
        return history[-1].at if history else None


def _size(load: float, factor: float, noise: float, cap: float) -> int:
    """Instances for ``load``: at the target (``factor``), and covering ``load + noise`` at
    100 % as long as that is at most ``cap`` times the load."""
    return math.ceil(max(load * factor, min(load + noise, load * cap)) - _EPS)


def _minute(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("history[].at: must be timezone-aware")
    return int(at.timestamp()) // 60
