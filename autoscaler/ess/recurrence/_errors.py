"""The validation error of the recurrence engine.

A recurrence is built from a request (the emulator), a policy file (the controller)
or a test; each caller words the failure its own way, so the engine raises one
plain error that names the faulty field and says why. The ESS edge
(:func:`autoscaler.ess.recurrence.schedule_from_request`) translates it into the
documented ``InvalidParameter`` with ``raise ... from``.
"""

from __future__ import annotations

from autoscaler.ess.errors import AutoscalerError

__all__ = ["RecurrenceError"]


class RecurrenceError(AutoscalerError, ValueError):
    """An invalid recurrence: ``field`` names the part at fault, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
