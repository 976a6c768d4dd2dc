"""The exception tree of the alerting boundary.

::

    AutoscalerError (autoscaler.ess.errors)
    └── AlertingError           base of everything this package raises on purpose
        ├── PayloadError        a webhook body is malformed (the receiver answers 400)
        ├── MappingConfigError  the alert-mapping or receiver configuration is invalid
        ├── QueueFullError      accepting a notification would exceed a bound (503)
        └── ActuationError      an alert action cannot be turned into an ESS call

Messages name the field path; none ever contains a secret (tokens and passwords are
``SecretStr`` and are compared, never formatted).
"""

from __future__ import annotations

from autoscaler.ess.errors import AutoscalerError

__all__ = ["ActuationError", "AlertingError", "MappingConfigError", "PayloadError", "QueueFullError"]


class AlertingError(AutoscalerError):
    """Base of the alerting errors."""


class PayloadError(AlertingError):
    """A webhook body that is not a valid Alertmanager version 4 payload."""


class MappingConfigError(AlertingError):
    """An invalid alert mapping or receiver configuration."""


class QueueFullError(AlertingError):
    """The bounded intent queue cannot take a notification without dropping state."""


class ActuationError(AlertingError):
    """An alert action that cannot be carried out (no step resolver, a rule without ARI)."""
