"""The ESS domain: models, capacity arithmetic, recurrence, errors, signing and the client.

Other layers import from here, never from private modules (STYLE.md habit 3).
This package imports neither the emulator nor the controller.
"""

from autoscaler.ess.capacity import (
    ADJUSTMENT_RANGES,
    MAX_CHANGE_PER_EXECUTION,
    AdjustmentResult,
    AdjustmentType,
    apply_adjustment,
    clamp,
    round_half_away_from_zero,
    validate_adjustment,
)
from autoscaler.ess.credentials import Credentials, CredentialsError
from autoscaler.ess.errors import (
    AutoscalerError,
    Catalogue,
    EssError,
    IdempotentParameterMismatchError,
    InternalError,
    NoChangeError,
    NotFoundError,
    ScalingActivityInProgressError,
    ServiceUnavailableError,
    ThrottlingError,
    TransportError,
    catalogue,
    ess_error,
)
from autoscaler.ess.tokens import client_token, validate_client_token

__all__ = [
    "ADJUSTMENT_RANGES",
    "MAX_CHANGE_PER_EXECUTION",
    "AdjustmentResult",
    "AdjustmentType",
    "AutoscalerError",
    "Catalogue",
    "Credentials",
    "CredentialsError",
    "EssError",
    "IdempotentParameterMismatchError",
    "InternalError",
    "NoChangeError",
    "NotFoundError",
    "ScalingActivityInProgressError",
    "ServiceUnavailableError",
    "ThrottlingError",
    "TransportError",
    "apply_adjustment",
    "catalogue",
    "clamp",
    "client_token",
    "ess_error",
    "round_half_away_from_zero",
    "validate_adjustment",
    "validate_client_token",
]
