"""The controller's listen address: ``/metrics``, ``/healthz``, ``/readyz``, and mounted routes.

A deliberately small ASGI app (no web framework: three routes do not need one)
that other parts mount their endpoints on, so the controller opens one port: the
alerting layer adds ``/alerts`` (the Alertmanager webhook) with :meth:`mount`.

- ``/metrics``: the Prometheus exposition of the injected registry (client_python's
  ASGI app, which also negotiates OpenMetrics and gzip).
- ``/healthz``: 200 while the process serves HTTP at all (the container liveness
  check: restarting a live-locked controller is the only cure).
- ``/readyz``: 200 when the supplied readiness callable says so, else 503 (the
  controller says ready while its last tick succeeded recently: see
  :class:`TickReadiness`).

:class:`ObservabilityServer` runs the app with uvicorn inside the controller's own
asyncio loop and stops cleanly. Uvicorn's signal capture is switched off: the
controller owns SIGTERM (it must finish the ESS call in flight before exiting).

Example::

    app = ObservabilityApp(registry, ready=readiness)
    app.mount("/alerts", alert_receiver)
    server = ObservabilityServer(app, host="127.0.0.1", port=9847)
    await server.start()
    ...
    await server.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timedelta
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry, make_asgi_app

from autoscaler.asgi import ASGIApp, Receive, Scope, Send, serve_lifespan
from autoscaler.clock import Clock, ensure_utc

__all__ = ["ASGIApp", "ObservabilityApp", "ObservabilityServer", "ServerError", "TickReadiness"]


_log = logging.getLogger(__name__)


class ServerError(RuntimeError):
    """The listen address could not be served (the port is taken, the host is not local, ...)."""


class TickReadiness:
    """Ready while the last successful tick is at most ``max_age`` old.

    The controller calls :meth:`mark_success` after each tick that completed; a
    controller stuck or failing for longer than ``max_age`` (default: a few
    evaluation intervals) turns unready, which takes it out of a load balancer or
    pages through the orchestrator, without killing it.
    """

    def __init__(self, clock: Clock, *, max_age: timedelta) -> None:
        if max_age <= timedelta(0):
            raise ValueError(f"max_age: must be > 0 (got {max_age})")
        self._clock = clock
        self._max_age = max_age
        self._last: datetime | None = None

    def mark_success(self, when: datetime) -> None:
        self._last = ensure_utc(when, field="when")

    @property
    def last_success(self) -> datetime | None:
        return self._last

    def __call__(self) -> bool:
        return self._last is not None and self._clock.now() - self._last <= self._max_age


async def _plain(send: Send, status: int, body: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = body.encode()
    start_headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start_headers + (headers or [])})
    await send({"type": "http.response.body", "body": payload})


class ObservabilityApp:
    """The ASGI app of the listen address; ``routes`` maps exact paths to ASGI apps."""

    def __init__(self, registry: CollectorRegistry, *, ready: Callable[[], bool] = lambda: True) -> None:
        self._ready = ready
        self.routes: dict[str, ASGIApp] = {
            "/metrics": make_asgi_app(registry),
            "/healthz": self._healthz,
            "/readyz": self._readyz,
        }

    def mount(self, path: str, app: ASGIApp) -> None:
        """Serve ``app`` at ``path`` (and below ``path/``); a path is mounted once."""
        if not path.startswith("/") or path == "/" or path.endswith("/"):
            raise ValueError(f"path: must look like /name (got {path!r})")
        if path in self.routes:
            raise ValueError(f"path: {path} is already served")
        self.routes[path] = app

    def _route(self, path: str) -> ASGIApp | None:
        app = self.routes.get(path)
        if app is not None:
            return app
        for prefix, candidate in self.routes.items():
            if path.startswith(prefix + "/"):
                return candidate
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets: not served; uvicorn closes the connection
        app = self._route(scope["path"])
        if app is None:
            await _plain(send, 404, "not found\n")
            return
        await app(scope, receive, send)

    async def _healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _plain(send, 405, "method not allowed\n", [(b"allow", b"GET, HEAD")])
            return
        await _plain(send, 200, "ok\n")

    async def _readyz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _plain(send, 405, "method not allowed\n", [(b"allow", b"GET, HEAD")])
            return
        try:
            ready = bool(self._ready())
        except Exception:  # a broken readiness check means "not ready", and is logged
            _log.exception("readiness check failed")
            ready = False
        await _plain(send, 200 if ready else 503, "ready\n" if ready else "not ready\n")


class _Server(uvicorn.Server):
    """Uvicorn without its signal handlers: the controller owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ObservabilityServer:
    """Runs an ASGI app with uvicorn on ``host:port`` inside the running asyncio loop.

    ``port=0`` picks a free port (tests); :attr:`port` tells which.
    """

    def __init__(
        self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 9847, options: Mapping[str, Any] | None = None
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port: must be in 0..65535 (got {port})")
        self._app = app
        self._options = dict(options or {})  # extra uvicorn.Config options (TLS: ssl_certfile, ...)
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``)."""
        if self._bound_port is None:
            raise ServerError("port: the server was never started")
        return self._bound_port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            family, kind, proto, _, address = infos[0]
            sock = socket.socket(family, kind, proto)
        except OSError as exc:
            raise ServerError(f"listen: cannot resolve {self._host}:{self._port}: {exc}") from exc
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise ServerError(f"listen: cannot listen on {self._host}:{self._port}: {exc.strerror or exc}") from exc
        sock.setblocking(False)
        return sock

    async def start(self) -> None:
        """Bind, start serving, and return once requests are accepted."""
        if self._task is not None:
            raise ServerError("start: already started")
        self._socket = self._bind()
        self._bound_port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(self._app, log_config=None, access_log=False, lifespan="off", server_header=False,
                                **self._options)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name="observability-server")
        while not self._server.started:
            if self._task.done():
                self._socket.close()
                error = self._task.exception()
                raise ServerError(f"listen: the server stopped at start: {error!r}")
            await asyncio.sleep(0.005)
        _log.info("serving /metrics, /healthz and /readyz", extra={"listen": self.url})

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Stop accepting, finish requests in flight (at most ``timeout`` s), release the port."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._server.force_exit = True
            await self._task
        finally:
            if self._socket is not None:
                self._socket.close()
            self._server = None
            self._task = None
