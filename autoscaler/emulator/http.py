"""The wire front of ``ess-local``: a plain ASGI application speaking the ESS RPC protocol.

No web framework: the benchmark goal (BENCHMARKS.md section 3, ten times moto) leaves
no room for routing layers, and the protocol needs only one route. Per request:

1. parse the query string and a form body (:mod:`.http_request`; garbage is
   ``InvalidParameter``, never a 500);
2. check the common parameters: ``Action`` and ``Version`` (ESS actions take
   2014-08-28, the ECS actions 2014-05-26), then key, signature, Timestamp window and
   nonce (:mod:`.http_auth`);
3. call :meth:`EssService.dispatch` under a lock (the service is not thread-safe and
   tests may touch it from another thread), after ``advance(clock.now())``;
4. render JSON (default) or XML (``Format=xml``, root ``<{Action}Response>``, errors
   ``<Error>``), ``RequestId`` always, errors as ``{RequestId, HostId, Code, Message}``
   with the documented HTTP status.

Faults come from the service's fault plan: an injected error is rendered like any
error, an injected latency is slept here, and a response lost after the change was
applied (:class:`ResponseLost`) drops the connection after the status line, so the
client sees a broken response exactly as after a network failure. Paths under
``/_emulator/`` are the admin interface (:mod:`.http_admin`).

Example (tests, the embedded mode)::

    app = EmulatorApp(EssService(clock), clock=clock)
    httpx.AsyncClient(transport=httpx.ASGITransport(app))
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from autoscaler.asgi import Receive, Scope, Send, serve_lifespan
from autoscaler.clock import Clock
from autoscaler.emulator.faults import ResponseLost
from autoscaler.emulator.http_admin import AdminApi
from autoscaler.emulator.http_auth import Authenticator
from autoscaler.emulator.http_request import MAX_BODY_BYTES, parse_pairs, parse_params
from autoscaler.emulator.service import EssService
from autoscaler.ess import EssError, catalogue, ess_error
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS, Credentials
from autoscaler.ess.wire import render_json, render_xml

__all__ = ["ECS_ACTIONS", "ECS_VERSION", "ESS_VERSION", "EmulatorApp", "ResponseDropped"]

log = logging.getLogger(__name__)

ESS_VERSION = "2014-08-28"
ECS_VERSION = "2014-05-26"

# ECS actions the product uses; they share the port and take the ECS API version.
ECS_ACTIONS = frozenset(
    {"RedeployInstance", "DescribeTasks", "DescribeInstanceHistoryEvents", "DescribeInstances"}
) | frozenset(a for a in catalogue().actions if catalogue().product(a) == "ecs")

# Common parameters the front consumes; the service sees only the action's own.
_COMMON = frozenset(
    {
        "Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
        "SignatureNonce", "SignatureType", "Timestamp", "TimeStamp", "Format", "SecurityToken",
    }
)



class ResponseDropped(httpx.RemoteProtocolError):
    """Raised after the status line of a lost response: the connection breaks.

    Under uvicorn the transport is closed; through ``httpx.ASGITransport`` (the
    embedded mode) the exception reaches the client as the transport error it
    imitates, so both paths exercise the client's retry.
    """


class EmulatorApp:
    """The ASGI application (see the module docstring)."""

    def __init__(
        self,
        service: EssService,
        *,
        clock: Clock,
        keys: Mapping[str, Credentials] | None = None,
        host_id: str = "ess-local",
        request_id: Callable[[], str] | None = None,
    ) -> None:
        self.service = service
        self._clock = clock
        self._keys = dict(keys) if keys else {EXAMPLE_CREDENTIALS.access_key_id: EXAMPLE_CREDENTIALS}
        self._auth = Authenticator(self._keys, clock)
        self._host_id = host_id
        self._request_id = request_id or (lambda: str(uuid.uuid4()).upper())
        self._lock = threading.Lock()
        self.admin = AdminApi(self)

    def __repr__(self) -> str:
        return f"EmulatorApp(keys={sorted(self._keys)}, host_id={self._host_id!r})"

    @property
    def clock(self) -> Clock:
        return self._clock

    @contextmanager
    def locked(self, *, advance: bool = False) -> Iterator[EssService]:
        """Exclusive access to the service (for the admin interface and tests).

        ``advance=True`` first applies the events due by now, so a read sees the
        state an ESS call made now would see.
        """
        with self._lock:
            if advance:
                self.service.advance(self._clock.now())
            yield self.service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        path: str = scope.get("path", "/")
        if path.startswith("/_emulator/"):
            try:
                query = dict(parse_pairs(scope.get("query_string", b"")))
                status, payload = self.admin.handle(scope["method"], path, body, query)
            except EssError as exc:
                status, payload = 400, {"error": exc.message, "code": exc.code}
            await _respond(send, status, render_json(payload), "application/json;charset=utf-8")
            return
        await self._rpc(scope, body, send)

    async def _rpc(self, scope: Scope, body: bytes | None, send: Send) -> None:
        request_id = self._request_id()
        fmt = "json"
        action = ""
        try:
            if body is None:
                raise ess_error("InvalidParameter", name="Body")
            params = parse_params(scope.get("query_string", b""), body, _header(scope, b"content-type"))
            fmt = _format(params)
            action = self._check_common(scope["method"], params)
            latency, payload = self._call(action, params)
        except ResponseLost:
            # Promise a body that never comes: the client sees a connection broken mid-response.
            await send({"type": "http.response.start", "status": 200, "headers": _headers("application/json", 1024)})
            raise ResponseDropped("response lost after the change was applied (injected fault)") from None
        except EssError as exc:
            await self._error(send, exc, request_id, fmt)
            return
        if latency > 0:
            await asyncio.sleep(latency)
        out = {"RequestId": request_id, **payload}
        if fmt == "xml":
            await _respond(send, 200, render_xml(f"{action}Response", out), "text/xml;charset=utf-8")
        else:
            await _respond(send, 200, render_json(out), "application/json;charset=utf-8")

    def _check_common(self, method: str, params: Mapping[str, str]) -> str:
        if method not in ("GET", "POST"):
            raise ess_error("UnsupportedOperation")
        action = params.get("Action")
        if not action:
            raise ess_error("MissingParameter", name="Action")
        version = params.get("Version")
        if not version:
            raise ess_error("MissingParameter", name="Version")
        expected = ECS_VERSION if action in ECS_ACTIONS else ESS_VERSION
        if version != expected:
            raise ess_error("NoSuchVersion")
        self._auth.verify(method, params)
        return action

    def _call(self, action: str, params: Mapping[str, str]) -> tuple[float, dict[str, Any]]:
        own = {k: v for k, v in params.items() if k not in _COMMON}
        with self._lock:
            try:
                self.service.advance(self._clock.now())
                reply = self.service.dispatch(action, own)
            except (EssError, ResponseLost):
                raise
            except Exception:  # a bug of the emulator: answer as the service would
                log.exception("unexpected error while handling %s", action)
                raise ess_error("InternalError") from None
        return reply.latency, reply.body

    async def _error(self, send: Send, exc: EssError, request_id: str, fmt: str) -> None:
        envelope = exc.to_wire(request_id=request_id, host_id=self._host_id)
        status = exc.http_status if 400 <= exc.http_status <= 599 else 500
        if fmt == "xml":
            await _respond(send, status, render_xml("Error", envelope), "text/xml;charset=utf-8")
        else:
            await _respond(send, status, render_json(envelope), "application/json;charset=utf-8")


def _format(params: Mapping[str, str]) -> str:
    fmt = params.get("Format", "json").lower() or "json"
    if fmt not in ("json", "xml"):
        raise ess_error("InvalidParameter", name="Format")
    return fmt


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _headers(content_type: str, length: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", content_type.encode()), (b"content-length", str(length).encode())]


async def _respond(send: Send, status: int, data: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _headers(content_type, len(data))})
    await send({"type": "http.response.body", "body": data})


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it exceeds the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


