"""autoscaler.metrics: where metric values come from.

Sources implement one method, :meth:`MetricSource.query`, and return a
:class:`MetricSample` whose status (ok, missing, stale, error) tells the policy
layer how far to trust it; failures from outside are statuses, not exceptions.

- :class:`PrometheusSource`: the Prometheus HTTP API (instant and range queries).
- :class:`FileSource`: a CSV time series (the format of the shared traces).
- :class:`SyntheticWorkload`: the demo workload of the embedded default.
- :func:`query_all`: many queries concurrently, each with a timeout.

This package sits below ``autoscaler.policy``: references are plain strings here
(PromQL, a column, a signal name) and the policy layer maps its own references onto
them.
"""

from autoscaler.metrics._aggregate import Aggregate
from autoscaler.metrics._prom_settings import BasicAuth, PrometheusSettings
from autoscaler.metrics._range import RangeResult
from autoscaler.metrics._sample import (
    MetricSample,
    MetricsError,
    MetricSource,
    SampleStatus,
    frozen_vector,
    uniform_vector,
)
from autoscaler.metrics.concurrent import query_all
from autoscaler.metrics.file import FileSource
from autoscaler.metrics.prometheus import PrometheusSource
from autoscaler.metrics.synthetic import SIGNALS, SyntheticWorkload, WorkloadShape

__all__ = [
    "SIGNALS",
    "Aggregate",
    "BasicAuth",
    "FileSource",
    "MetricSample",
    "MetricSource",
    "MetricsError",
    "PrometheusSettings",
    "PrometheusSource",
    "RangeResult",
    "SampleStatus",
    "SyntheticWorkload",
    "WorkloadShape",
    "frozen_vector",
    "query_all",
    "uniform_vector",
]
