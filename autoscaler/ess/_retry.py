"""Retries with exponential backoff and full jitter, as data (STYLE.md habit 6).

Whether an error is worth retrying belongs to the error (``EssError.retryable``: 5xx,
Throttling, ServiceUnavailable, transport failures); how often and how long belongs to
:class:`RetryPolicy`. Sleep, randomness and the monotonic clock are injected, so unit
tests run the whole loop without waiting and assert every logged attempt.

Full jitter (the AWS architecture blog's "exponential backoff and jitter"): the delay
before attempt ``n + 1`` is uniform in ``[0, min(max_delay, base_delay * 2**(n-1))]``;
it spreads a thundering herd of controllers better than equal jitter. The loop stops
at ``max_attempts`` or when the next delay would cross ``total_timeout``.

Each attempt is logged as ``attempt 2/5 ExecuteScalingRule: Throttling; will retry in
0.8s`` (never with parameters: they may carry tokens).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from autoscaler.ess.errors import EssError

__all__ = ["RetryPolicy", "Sleeper", "call_with_retries"]

T = TypeVar("T")

logger = logging.getLogger("autoscaler.ess.client")


class Sleeper(Protocol):
    def __call__(self, seconds: float, /) -> Awaitable[None]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many attempts and how long.

    - ``max_attempts``: 5 (the first try and four retries), enough to ride out a
      burst of throttling without hiding a real outage for long.
    - ``base_delay`` 0.2 s and ``max_delay`` 5 s: the delay cap per attempt (seconds).
    - ``total_timeout`` 30 s: no retry starts when it would end after this many
      seconds since the first attempt (a controller tick is typically 15-60 s).
    """

    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    total_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts: must be >= 1 (got {self.max_attempts})")
        for name in ("base_delay", "max_delay", "total_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be >= 0 seconds (got {getattr(self, name)})")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay after the failed attempt number ``attempt`` (1-based)."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(0.0, cap)


async def call_with_retries(
    operation: Callable[[], Awaitable[T]],
    *,
    action: str,
    policy: RetryPolicy,
    sleep: Sleeper,
    rng: random.Random,
    monotonic: Callable[[], float],
) -> T:
    """Run ``operation`` until it succeeds, fails for good, or the policy runs out."""
    started = monotonic()
    attempt = 1
    while True:
        try:
            return await operation()
        except EssError as exc:
            if not exc.retryable:
                logger.info("attempt %d/%d %s: %s; not retryable", attempt, policy.max_attempts, action, exc.code)
                raise
            if attempt >= policy.max_attempts:
                logger.warning("attempt %d/%d %s: %s; giving up", attempt, policy.max_attempts, action, exc.code)
                raise
            delay = policy.delay(attempt, rng)
            if monotonic() - started + delay > policy.total_timeout:
                logger.warning(
                    "attempt %d/%d %s: %s; giving up (total time %.1fs would be exceeded)",
                    attempt, policy.max_attempts, action, exc.code, policy.total_timeout,
                )
                raise
            logger.warning(
                "attempt %d/%d %s: %s; will retry in %.1fs", attempt, policy.max_attempts, action, exc.code, delay
            )
            await sleep(delay)
            attempt += 1
