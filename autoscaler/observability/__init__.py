"""autoscaler.observability: what the controller tells the outside world.

- :mod:`~autoscaler.observability.metrics`: every ``autoscaler_*`` metric, on an
  injected registry; state gauges from a scrape-time collector.
- :mod:`~autoscaler.observability.logging`: JSON or human logs with secret redaction.
- :mod:`~autoscaler.observability.server`: ``/metrics``, ``/healthz``, ``/readyz`` and
  mounted routes on the controller's listen address, served by uvicorn.

Nothing here reads the environment or touches a global registry at import.
"""

from autoscaler.observability.logging import (
    REDACTED,
    HumanFormatter,
    JsonFormatter,
    RedactionFilter,
    Redactor,
    configure_logging,
)
from autoscaler.observability.metrics import (
    CATALOGUE,
    AutoscalerMetrics,
    DecisionDirection,
    DecisionResult,
    GroupBoard,
    GroupState,
    MetricSpec,
    StateCollector,
    StateProvider,
)
from autoscaler.observability.server import ASGIApp, ObservabilityApp, ObservabilityServer, ServerError, TickReadiness

__all__ = [
    "CATALOGUE",
    "REDACTED",
    "ASGIApp",
    "AutoscalerMetrics",
    "DecisionDirection",
    "DecisionResult",
    "GroupBoard",
    "GroupState",
    "HumanFormatter",
    "JsonFormatter",
    "MetricSpec",
    "ObservabilityApp",
    "ObservabilityServer",
    "RedactionFilter",
    "Redactor",
    "ServerError",
    "StateCollector",
    "StateProvider",
    "TickReadiness",
    "configure_logging",
]
