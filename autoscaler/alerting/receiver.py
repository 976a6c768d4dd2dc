"""The Alertmanager webhook endpoint: a plain ASGI application.

One POST per notification. In order, and each step changes nothing when it fails:

1. method and path: 405 / 404;
2. authentication, before the body is read: 401 with ``WWW-Authenticate`` (bearer or
   basic, compared with :func:`hmac.compare_digest`), or 403 for a non-loopback peer
   when authentication is disabled;
3. size: a ``Content-Length`` above the limit gets 413 at once; otherwise the body is
   read chunk by chunk and reading stops (413) as soon as the limit is passed;
4. validation: a body that is not a version 4 payload gets 400 with the field path;
5. mapping (pure) and submission to the bounded queue (atomic): 503 with
   ``Retry-After`` if a bound would be exceeded, so Alertmanager retries later.

The answer is 200 with counts (``queued``, ``duplicates``, ``coalesced``, ...).
The receiver never calls ESS: the controller drains the queue once per tick.

The app serves only its own path, so the listen address's server can route
``/alerts`` to it next to ``/metrics`` (a mount that strips the prefix through
``root_path`` works too). The ``Authorization`` header is never logged.

Example::

    app = AlertReceiver(settings=settings, mappings=mappings, sink=queue, clock=SystemClock())
    uvicorn.run(app, host="127.0.0.1", port=9847, **(settings.tls.uvicorn_options() if settings.tls else {}))
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from autoscaler.alerting.errors import PayloadError, QueueFullError
from autoscaler.alerting.mapping import AlertMappings, evaluate
from autoscaler.alerting.payload import Alert, parse_payload
from autoscaler.alerting.queue import IntentSink
from autoscaler.alerting.settings import BasicAuth, BearerAuth, NoAuth, ReceiverSettings, is_loopback
from autoscaler.asgi import Receive, Scope, Send, serve_lifespan
from autoscaler.clock import Clock

__all__ = ["AlertMetrics", "AlertReceiver", "Scope"]


_REALM = 'realm="autoscaler"'
_LOG = logging.getLogger("autoscaler.alerting.receiver")


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[bytes, bytes], ...] = ()


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def _equal(given: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(given, expected)


def _authorize(auth: BearerAuth | BasicAuth | NoAuth, header: bytes | None, peer: str | None) -> _Reply | None:
    """None if the request may proceed, else the 401/403 reply (never echoing credentials)."""
    if isinstance(auth, NoAuth):
        if is_loopback(peer):
            return None
        return _Reply(403, {"error": "authentication is disabled, so only loopback clients are accepted"})
    scheme, _, credentials = (header or b"").strip().partition(b" ")
    if isinstance(auth, BearerAuth):
        expected = auth.token.get_secret_value().encode()
        ok = scheme.lower() == b"bearer" and _equal(credentials.strip(), expected)
        challenge = f"Bearer {_REALM}".encode()
    else:
        ok = scheme.lower() == b"basic" and _basic_ok(auth, credentials.strip())
        challenge = f'Basic {_REALM}, charset="UTF-8"'.encode()
    if ok:
        return None
    reason = "missing credentials" if header is None else "invalid credentials"
    return _Reply(401, {"error": reason}, ((b"www-authenticate", challenge),))


def _basic_ok(auth: BasicAuth, credentials: bytes) -> bool:
    try:
        decoded = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(b":")
    user_ok = _equal(user, auth.username.encode())
    password_ok = _equal(password, auth.password.get_secret_value().encode())
    # Both comparisons always run (no short circuit), so timing does not tell which failed.
    return bool(sep) & user_ok & password_ok


class AlertMetrics(Protocol):
    """Where the receiver counts alerts (``AutoscalerMetrics`` of the observability layer fits)."""

    def alert_received(self, *, status: str, result: str) -> None: ...


class _NoMetrics:
    def alert_received(self, *, status: str, result: str) -> None:
        return None


class AlertReceiver:
    """ASGI app accepting Alertmanager webhooks into an :class:`IntentSink`.

    ``metrics`` counts ``autoscaler_alerts_received_total{status, result}``: per alert
    ``accepted`` or ``deferred`` (503); per refused request, with status ``unknown``,
    ``unauthorized``, ``too_large`` or ``malformed``.
    """

    def __init__(
        self,
        *,
        settings: ReceiverSettings,
        mappings: AlertMappings,
        sink: IntentSink,
        clock: Clock,
        metrics: AlertMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._mappings = mappings
        self._sink = sink
        self._clock = clock
        self._metrics = metrics or _NoMetrics()

    def __repr__(self) -> str:
        return f"AlertReceiver(path={self._settings.path!r}, auth={self._settings.auth.type!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            reply = await self._handle(scope, receive)
        except _Disconnected:
            return
        await _respond(send, reply)

    def _serves(self, scope: Scope) -> bool:
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if path == self._settings.path:
            return True
        return root == self._settings.path and path in ("", "/", root, root + "/")

    async def _handle(self, scope: Scope, receive: Receive) -> _Reply:
        if not self._serves(scope):
            return _Reply(404, {"error": f"not found; webhooks go to {self._settings.path}"})
        if scope.get("method") != "POST":
            return _Reply(405, {"error": "only POST is allowed"}, ((b"allow", b"POST"),))
        client = scope.get("client")
        peer = str(client[0]) if client else None
        denied = _authorize(self._settings.auth, _header(scope, b"authorization"), peer)
        if denied is not None:
            _LOG.warning("alert webhook refused: %s (peer %s)", denied.body["error"], peer)
            self._metrics.alert_received(status="unknown", result="unauthorized")
            return denied
        try:
            body = await self._read_body(scope, receive)
        except _TooLarge:
            self._metrics.alert_received(status="unknown", result="too_large")
            limit = self._settings.max_body_bytes
            return _Reply(413, {"error": f"body: larger than the limit of {limit} bytes"}, ((b"connection", b"close"),))
        return self._accept(body)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self._settings.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _accept(self, body: bytes) -> _Reply:
        try:
            payload = parse_payload(body)
        except PayloadError as exc:
            _LOG.warning("alert webhook rejected: %s", exc)
            self._metrics.alert_received(status="unknown", result="malformed")
            return _Reply(400, {"error": str(exc)})
        intents = evaluate(payload.alerts, self._mappings, self._clock.now())
        try:
            result = self._sink.submit(intents)
        except QueueFullError as exc:
            _LOG.warning("alert webhook deferred: %s", exc)
            self._count(payload.alerts, "deferred")
            return _Reply(503, {"error": str(exc)}, ((b"retry-after", b"30"),))
        self._count(payload.alerts, "accepted")
        if payload.truncated_alerts:
            _LOG.warning("alert webhook from %r: Alertmanager truncated %d alert(s) (webhook max_alerts)",
                         payload.receiver, payload.truncated_alerts)
        counts = {
            "alerts": len(payload.alerts),
            "intents": len(intents),
            "queued": result.queued,
            "duplicates": result.duplicates,
            "coalesced": result.coalesced,
            "floors_set": result.floors_set,
            "floors_released": result.floors_released,
            "ignored": result.ignored,
        }
        _LOG.info("alert webhook accepted from receiver %r group %r: %s", payload.receiver, payload.group_key, counts)
        return _Reply(200, {"status": "accepted", **counts})


    def _count(self, alerts: Sequence[Alert], result: str) -> None:
        firing = sum(1 for alert in alerts if alert.status == "firing")
        for status, count in (("firing", firing), ("resolved", len(alerts) - firing)):
            for _ in range(count):
                self._metrics.alert_received(status=status, result=result)


async def _respond(send: Send, reply: _Reply) -> None:
    body = json.dumps(reply.body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.extend(reply.headers)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


