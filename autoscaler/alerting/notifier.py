"""Outbound notifications: a JSON POST to configured webhooks on every scaling activity.

ESS itself notifies through *notification configurations*: a target (CloudMonitor,
an MNS queue or topic) and a list of notification types from
``DescribeNotificationTypes`` (``AUTOSCALING:SCALE_OUT_SUCCESS``, ...). The controller
does the same for plain HTTPS webhooks (chat bots, incident tools): each target
subscribes to notification types (all by default) and, optionally, to groups. The
body follows the shape of ESS's MNS/CloudMonitor messages::

    {"product": "ESS", "event": "AUTOSCALING:SCALE_OUT_SUCCESS", "time": "2024-...Z",
     "regionId": "cn-hangzhou", "resourceArn": "acs:ess:cn-hangzhou:*:scalinggroup/asg-1",
     "eventId": "...", "content": {"scalingGroupId": "asg-1", "scalingActivityId": "...",
     "origin": "controller", "cause": "...", "totalCapacityBefore": 2, ...}}

Delivery is bounded: a per-attempt timeout, at most ``max_attempts`` attempts with
exponential backoff, retrying only transport errors, 429 and 5xx. A failed delivery
is logged and reported, never raised: a chat outage must not stop scaling. The
``eventId`` header and field are derived from the event, so a receiver can drop the
duplicates that retries may create. Header values (tokens) are ``SecretStr`` and never
logged; URLs are logged without user info or query string.

Example::

    notifier = WebhookNotifier(NotifierSettings.model_validate({"targets": [{"url": "https://hooks/x"}]}))
    await notifier.send(ScalingEvent(type=NotificationType.SCALE_OUT_SUCCESS, time=now, group_id="asg-1",
                                     origin="controller", activity_id="asa-1"))
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from autoscaler.alerting.errors import MappingConfigError
from autoscaler.alerting.payload import format_validation_error
from autoscaler.clock import ensure_utc

__all__ = [
    "Delivery",
    "NotificationMetrics",
    "NotificationQueue",
    "NotificationType",
    "Notifier",
    "NotifierSettings",
    "ScalingEvent",
    "WebhookNotifier",
    "WebhookTarget",
    "event_type",
    "load_notifier_settings",
]

_LOG = logging.getLogger("autoscaler.alerting.notifier")


class NotificationType(StrEnum):
    """The eight types documented by ``DescribeNotificationTypes``."""

    SCALE_OUT_SUCCESS = "AUTOSCALING:SCALE_OUT_SUCCESS"
    SCALE_IN_SUCCESS = "AUTOSCALING:SCALE_IN_SUCCESS"
    SCALE_OUT_ERROR = "AUTOSCALING:SCALE_OUT_ERROR"
    SCALE_IN_ERROR = "AUTOSCALING:SCALE_IN_ERROR"
    SCALE_REJECT = "AUTOSCALING:SCALE_REJECT"
    SCALE_OUT_START = "AUTOSCALING:SCALE_OUT_START"
    SCALE_IN_START = "AUTOSCALING:SCALE_IN_START"
    SCHEDULE_TASK_EXPIRING = "AUTOSCALING:SCHEDULE_TASK_EXPIRING"


def event_type(direction: Literal["out", "in"], outcome: Literal["start", "success", "error"]) -> NotificationType:
    """The notification type of a scale-out/in activity that started, succeeded or failed."""
    return NotificationType(f"AUTOSCALING:SCALE_{direction.upper()}_{outcome.upper()}")


@dataclass(frozen=True, kw_only=True, slots=True)
class ScalingEvent:
    """A scaling activity the controller started (``controller``) or observed (``observed``)."""

    type: NotificationType
    time: datetime
    group_id: str
    origin: Literal["controller", "observed", "alert"]
    region_id: str | None = None
    group_name: str | None = None
    activity_id: str | None = None
    policy: str | None = None
    cause: str = ""
    description: str = ""
    capacity_before: int | None = None
    capacity_after: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    instance_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", ensure_utc(self.time, field="time"))
        if not self.group_id:
            raise ValueError("group_id: must not be empty")

    @property
    def event_id(self) -> str:
        """Stable identity: the same event always has the same id (receivers dedupe)."""
        parts = (self.type, self.group_id, self.activity_id or "", self.time.isoformat(), self.error_code or "")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    def to_wire(self) -> dict[str, Any]:
        region = self.region_id or "*"
        content: dict[str, Any] = {
            "scalingGroupId": self.group_id,
            "scalingGroupName": self.group_name,
            "scalingActivityId": self.activity_id,
            "origin": self.origin,
            "policy": self.policy,
            "cause": self.cause,
            "description": self.description,
            "totalCapacityBefore": self.capacity_before,
            "totalCapacityAfter": self.capacity_after,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "instanceIds": list(self.instance_ids),
        }
        return {
            "product": "ESS",
            "event": self.type.value,
            "eventId": self.event_id,
            "time": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "regionId": self.region_id,
            "resourceArn": f"acs:ess:{region}:*:scalinggroup/{self.group_id}",
            "content": {k: v for k, v in content.items() if v is not None},
        }


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookTarget(_Config):
    """One webhook: URL, subscribed types and groups (None = all), secret headers, timeout (s)."""

    url: str = Field(pattern=r"^https?://", max_length=2048)
    types: frozenset[NotificationType] | None = None
    groups: frozenset[str] | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        try:
            parsed = httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a valid URL ({exc})") from exc
        if not parsed.host:
            raise ValueError("the URL has no host")
        return value

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name in value:
            if not name or not all(c.isalnum() or c in "-_" for c in name):
                raise ValueError(f"invalid header name {name!r}")
        return value

    @property
    def safe_url(self) -> str:
        """The URL without user info or query (which may carry secrets), for logs."""
        parsed = httpx.URL(self.url)
        port = f":{parsed.port}" if parsed.port else ""
        return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"

    def __repr_args__(self) -> Any:
        # The URL may carry a token (user info, query string): reprs show the safe form.
        for name, value in super().__repr_args__():
            yield (name, self.safe_url if name == "url" else value)

    def wants(self, event: ScalingEvent) -> bool:
        return (self.types is None or event.type in self.types) and (
            self.groups is None or event.group_id in self.groups
        )


class NotifierSettings(_Config):
    """Targets and the retry policy: 3 attempts, backoff 0.5 s doubling up to 5 s.

    Proxies from the environment are ignored unless ``use_environment_proxy`` is set,
    so a stray ``HTTPS_PROXY`` cannot divert notifications (or their tokens).
    """

    targets: tuple[WebhookTarget, ...] = ()
    max_attempts: int = Field(default=3, ge=1, le=10)
    base_delay_seconds: float = Field(default=0.5, ge=0, le=60)
    max_delay_seconds: float = Field(default=5.0, ge=0, le=300)
    use_environment_proxy: bool = False

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1)))


def load_notifier_settings(data: Any, *, source: str = "notifications") -> NotifierSettings:
    """Validate raw configuration; :class:`MappingConfigError` names ``source`` and the field."""
    try:
        return NotifierSettings.model_validate(data)
    except ValidationError as exc:
        raise MappingConfigError(f"{source}: {format_validation_error(exc)}") from exc


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """The outcome of one event at one target."""

    target: str
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None


@runtime_checkable
class Notifier(Protocol):
    """Tells people what the controller did."""

    async def send(self, event: ScalingEvent) -> Sequence[Delivery]:
        """Deliver ``event`` to every interested target; never raises for a failed delivery."""
        ...


Sleep = Callable[[float], Awaitable[None]]


class NotificationMetrics(Protocol):
    """Where deliveries are counted (``AutoscalerMetrics`` of the observability layer fits)."""

    def notification(self, *, channel: str, result: str) -> None: ...


@dataclass(kw_only=True)
class WebhookNotifier:
    """:class:`Notifier` over HTTP; inject ``transport`` (``httpx.MockTransport``) and ``sleep`` in tests."""

    settings: NotifierSettings
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Sleep = asyncio.sleep
    metrics: NotificationMetrics | None = None
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def __repr__(self) -> str:
        return f"WebhookNotifier(targets={[t.safe_url for t in self.settings.targets]})"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport, trust_env=self.settings.use_environment_proxy, follow_redirects=False
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, event: ScalingEvent) -> Sequence[Delivery]:
        targets = [t for t in self.settings.targets if t.wants(event)]
        if not targets:
            return ()
        body = event.to_wire()
        deliveries = tuple(await asyncio.gather(*(self._deliver(t, event, body) for t in targets)))
        if self.metrics is not None:
            for delivery in deliveries:
                self.metrics.notification(channel="webhook", result="sent" if delivery.ok else "failed")
        return deliveries

    async def _deliver(self, target: WebhookTarget, event: ScalingEvent, body: dict[str, Any]) -> Delivery:
        headers = {name: value.get_secret_value() for name, value in target.headers.items()}
        headers["X-Autoscaler-Event-Id"] = event.event_id
        attempts = self.settings.max_attempts
        status: int | None = None
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http().post(
                    target.url, json=body, headers=headers, timeout=target.timeout_seconds
                )
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return Delivery(target=target.safe_url, ok=True, attempts=attempt, status=status)
                error = f"HTTP {status}"
                if status != 429 and status < 500:
                    break  # the target refuses this request; repeating it changes nothing
            if attempt < attempts:
                delay = self.settings.delay(attempt)
                _LOG.warning(
                    "notification %s to %s: attempt %d/%d failed (%s); will retry in %.1fs",
                    event.type.value, target.safe_url, attempt, attempts, error, delay,
                )
                await self.sleep(delay)
        _LOG.error(
            "notification %s to %s failed after %d attempt(s): %s",
            event.type.value, target.safe_url, attempt, error,
        )
        return Delivery(target=target.safe_url, ok=False, attempts=attempt, status=status, error=error)


class NotificationQueue:
    """Decouples the tick from delivery: :meth:`post` never blocks, :meth:`run` delivers in order.

    The controller's tick (or a synchronous tick-report sink) posts events; a task
    running :meth:`run` hands them to the :class:`Notifier`. The queue is bounded
    (``capacity`` events): when a webhook is down for long, new events are dropped
    and counted rather than delaying scaling or growing memory. Not thread-safe:
    post from the event loop's thread.

    Example::

        queue = NotificationQueue(WebhookNotifier(settings=settings))
        task = asyncio.create_task(queue.run())
        queue.post(event)
    """

    def __init__(self, notifier: Notifier, *, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity: must be >= 1 (got {capacity})")
        self._notifier = notifier
        self._queue: asyncio.Queue[ScalingEvent] = asyncio.Queue(capacity)
        self.dropped = 0

    def post(self, event: ScalingEvent) -> bool:
        """Queue ``event``; False (and counted in ``dropped``) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            _LOG.warning("notification %s for %s dropped: %d waiting", event.type.value, event.group_id,
                         self._queue.qsize())
            return False
        return True

    async def run(self) -> None:
        """Deliver queued events until cancelled."""
        while True:
            event = await self._queue.get()
            try:
                await self._notifier.send(event)
            except Exception:  # a notifier bug must not end deliveries
                _LOG.exception("notification %s for %s could not be delivered", event.type.value, event.group_id)
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until every queued event was handed to the notifier."""
        await self._queue.join()
