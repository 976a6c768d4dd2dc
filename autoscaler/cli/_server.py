"""The controller's listen address: ``/metrics``, ``/healthz``, ``/readyz`` (and mounts).

``/readyz`` is ready once a tick has succeeded within three evaluation intervals.
"""

from __future__ import annotations

from datetime import timedelta

from autoscaler.alerting import AlertReceiver
from autoscaler.cli._compose import Runtime
from autoscaler.observability.server import ObservabilityApp, ObservabilityServer, TickReadiness

__all__ = ["start_server"]


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen: expected HOST:PORT, got {listen!r}")
    return host.strip("[]"), int(port)


async def start_server(rt: Runtime, listen: str) -> ObservabilityServer:
    host, port = parse_listen(listen)
    readiness = TickReadiness(rt.clock, max_age=timedelta(seconds=3 * rt.config.interval_seconds))
    rt.controller.add_sink(lambda report: readiness.mark_success(report.now))
    app = ObservabilityApp(rt.registry, ready=readiness)
    alerting = rt.config.alerting
    if alerting is not None and alerting.receiver is not None and rt.alert_queue is not None:
        receiver = AlertReceiver(settings=alerting.receiver, mappings=alerting.mapping_set, sink=rt.alert_queue,
                                 clock=rt.clock, metrics=rt.metrics)
        app.mount(alerting.receiver.path, receiver)
    options = {}
    if alerting is not None and alerting.receiver is not None and alerting.receiver.tls is not None:
        options = alerting.receiver.tls.uvicorn_options()  # TLS for the whole listen address
    server = ObservabilityServer(app, host=host, port=port, options=options)
    await server.start()
    return server
