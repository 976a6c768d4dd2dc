"""Fault injection: errors, latency and lost responses, for client and controller tests.

The service consults a :class:`FaultPlan` around every call:

- ``before(action, params)`` may return an :class:`Injection` with an error to raise
  instead of applying the call (``Throttling``, ``ServiceUnavailable``,
  ``InternalError``...) and/or a latency the HTTP front sleeps before answering;
- ``after(action, params)`` may answer True: the change was applied and persisted,
  but the response is lost (:class:`ResponseLost`; the HTTP front drops the
  connection). This is the case ClientToken idempotence exists for.

Plans are deterministic: :class:`RandomFaultPlan` draws from an injected
``random.Random``; :class:`ScriptedFaultPlan` replays a fixed list.

Example::

    plan = ScriptedFaultPlan([Injection(error=ess_error("Throttling"))])
    service = EssService(clock, faults=plan)   # the first call raises Throttling
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from autoscaler.ess import EssError, ess_error

__all__ = ["FaultPlan", "Injection", "NoFaults", "RandomFaultPlan", "ResponseLost", "ScriptedFaultPlan"]


class ResponseLost(Exception):
    """The call was applied but its response must not reach the caller."""

    def __init__(self, action: str) -> None:
        super().__init__(f"{action}: response lost after the change was applied (injected)")
        self.action = action


@dataclass(frozen=True, slots=True, kw_only=True)
class Injection:
    """What to do to one call: raise ``error``, delay by ``latency`` seconds, lose the response."""

    error: EssError | None = None
    latency: float = 0.0
    lose_response: bool = False

    def __post_init__(self) -> None:
        if self.latency < 0:
            raise ValueError("latency: must be >= 0 seconds")


NO_INJECTION = Injection()


@runtime_checkable
class FaultPlan(Protocol):
    """Decides the faults of each call (two methods, consulted before and after applying)."""

    def before(self, action: str, params: Mapping[str, str]) -> Injection:
        ...

    def after(self, action: str, params: Mapping[str, str]) -> bool:
        ...


class NoFaults:
    """The default plan: nothing is injected."""

    def before(self, action: str, params: Mapping[str, str]) -> Injection:
        return NO_INJECTION

    def after(self, action: str, params: Mapping[str, str]) -> bool:
        return False


class ScriptedFaultPlan:
    """Replays injections in order, one per call (``actions`` limits which calls count)."""

    def __init__(self, injections: Iterable[Injection], *, actions: Iterable[str] | None = None) -> None:
        self._queue: deque[Injection] = deque(injections)
        self._actions = frozenset(actions) if actions is not None else None
        self._pending_loss = False

    def before(self, action: str, params: Mapping[str, str]) -> Injection:
        self._pending_loss = False
        if not self._queue or (self._actions is not None and action not in self._actions):
            return NO_INJECTION
        injection = self._queue.popleft()
        self._pending_loss = injection.lose_response
        return injection

    def after(self, action: str, params: Mapping[str, str]) -> bool:
        lost, self._pending_loss = self._pending_loss, False
        return lost

    @property
    def remaining(self) -> int:
        return len(self._queue)


class RandomFaultPlan:
    """Injects faults with fixed probabilities from an injected random source."""

    def __init__(
        self,
        rng: random.Random,
        *,
        error_rate: float = 0.0,
        error_codes: tuple[str, ...] = ("Throttling", "ServiceUnavailable", "InternalError"),
        loss_rate: float = 0.0,
        max_latency: float = 0.0,
        actions: Iterable[str] | None = None,
    ) -> None:
        for name, rate in (("error_rate", error_rate), ("loss_rate", loss_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name}: must be within [0, 1]")
        if max_latency < 0:
            raise ValueError("max_latency: must be >= 0 seconds")
        if not error_codes:
            raise ValueError("error_codes: at least one code is required")
        for code in error_codes:
            ess_error(code)  # an unknown code fails here, not in the middle of a test
        self._rng = rng
        self._error_rate = error_rate
        self._codes = error_codes
        self._loss_rate = loss_rate
        self._max_latency = max_latency
        self._actions = frozenset(actions) if actions is not None else None

    def _applies(self, action: str) -> bool:
        return self._actions is None or action in self._actions

    def before(self, action: str, params: Mapping[str, str]) -> Injection:
        if not self._applies(action):
            return NO_INJECTION
        latency = self._rng.uniform(0.0, self._max_latency) if self._max_latency else 0.0
        if self._error_rate and self._rng.random() < self._error_rate:
            return Injection(error=ess_error(self._rng.choice(self._codes)), latency=latency)
        return Injection(latency=latency)

    def after(self, action: str, params: Mapping[str, str]) -> bool:
        return self._applies(action) and bool(self._loss_rate) and self._rng.random() < self._loss_rate
