"""The predictive policy kind behind the :class:`~autoscaler.policy.model.Policy` protocol.

:mod:`autoscaler.policy.predictive` (the forecasting policy) is an incremental
evaluator: it ingests one utilisation sample per minute into a seasonal forecaster
and returns a target with its reasons. This adapter feeds it from the snapshot and
fits its answer into the arbitration:

- the forecaster's state lives in the group's memory (``PolicyMemory.extension``),
  so one policy file serves many groups and each group learns its own season. It
  is the one mutable thing in a memory: copying a season of history at every tick
  would cost O(history); ingestion is idempotent per minute, so evaluating a tick
  twice is harmless. A restart starts learning afresh (the state is not persisted);
- a missing, stale or NaN metric (or nothing serving) holds the current total and
  vetoes scale-ins, as for every other policy;
- ``mode: forecastOnly`` reports what the policy would do and has no opinion in the
  arbitration (the shadow mode of the forecast), ``mode: active`` proposes a target
  like target tracking does.

Metric values are divided by ``full_scale`` (the value that means 100 %: 100 for a
CPU percentage, 1 for a fraction), because the forecaster works on fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from autoscaler.policy._metrics import Statistic, measured_count, read_metric
from autoscaler.policy.model import (
    GroupSnapshot,
    Limit,
    LimitKind,
    MetricRef,
    MetricValue,
    PolicyKind,
    PolicyMemory,
    Proposal,
)
from autoscaler.policy.predictive import PredictiveMode, PredictivePolicy, PredictiveSettings, UtilisationSample

__all__ = ["PredictiveTargetPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictiveTargetPolicy:
    """Example::

    PredictiveTargetPolicy(name="forecast", metric=MetricRef.synthetic("cpu"),
                           settings=PredictiveSettings(target=0.6), full_scale=1.0)
    """

    name: str
    metric: MetricRef
    settings: PredictiveSettings
    full_scale: float = 1.0
    metric_max_age: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if not self.full_scale > 0:
            raise ValueError(f"policy {self.name}: full_scale must be > 0")

    def evaluate(self, snapshot: GroupSnapshot, memory: PolicyMemory) -> Proposal:
        state = memory.extension
        if not isinstance(state, PredictivePolicy):
            state = PredictivePolicy(self.settings)
            memory = memory.evolve(extension=state)
        cap = snapshot.capacity
        value, problem = read_metric(snapshot, self.metric, Statistic.AVERAGE, self.metric_max_age)
        shown = (MetricValue(self.metric.label, value),)
        if problem is None and cap.serving == 0:
            problem = LimitKind.NO_SERVING
        if problem is not None:
            return Proposal(
                policy=self.name, kind=PolicyKind.PREDICTIVE, memory=memory, target=cap.total, metrics=shown,
                formula=f"hold at {cap.total}: no usable metric", metrics_missing=True,
                limits=(Limit(problem, f"{self.metric}: no scale-in on this metric"),),
            )
        sample = snapshot.metrics[self.metric]
        utilisation = max(0.0, value / self.full_scale)
        # The load is the utilisation times the instances that measured it (a per-instance
        # sample says how many), not the serving count of now: instances that began serving
        # at this tick carried none of the load the sample saw (as target tracking does).
        measured = measured_count(snapshot, self.metric)
        basis = cap.serving if measured is None else measured
        history = [UtilisationSample(at=sample.timestamp, utilisation=utilisation, serving=basis)]
        wanted, reasons = state.evaluate(
            history, snapshot.now, serving=cap.serving, total=cap.total, warming=cap.warming
        )
        formula = "; ".join(reasons)
        if self.settings.mode is PredictiveMode.FORECAST_ONLY:
            return Proposal(policy=self.name, kind=PolicyKind.PREDICTIVE, memory=memory, metrics=shown,
                            formula=formula)
        target = wanted + cap.idle if wanted != cap.total else wanted
        return Proposal(policy=self.name, kind=PolicyKind.PREDICTIVE, memory=memory, target=target,
                        metrics=shown, formula=formula)
