"""Outbound notifications: each scaling activity the controller started is POSTed as JSON.

The shipped embedded configuration plus a webhook target on loopback; the ticks run
on a virtual clock, the notifications are delivered by the background queue over
real HTTP.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from autoscaler.alerting import AlertingSettings
from autoscaler.cli._compose import build_runtime
from autoscaler.clock import VirtualClock

from .conftest import ROOT, T0, shipped_config


@contextmanager
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


async def _run(tmp_path: Path, url: str) -> int:
    clock = VirtualClock(T0)
    alerting = AlertingSettings.model_validate({"notifications": {"targets": [{"url": url}]}})
    rt = await build_runtime(shipped_config(tmp_path, alerting=alerting), base=ROOT / "config", environ={},
                             clock=clock)
    rt.start_background()
    executed = 0
    try:
        for _ in range(60):
            report = await rt.controller.tick_once(rt.controller.tickers[0])
            assert report is not None
            executed += report.outcome.activity_id is not None
            clock.advance(timedelta(seconds=10))
    finally:
        await rt.aclose()  # flushes the queue
    return executed


def test_every_activity_the_controller_started_is_notified_once(tmp_path: Path) -> None:
    with webhook() as (url, received):
        executed = asyncio.run(_run(tmp_path, url))
    assert executed >= 2
    types = [event["event"] for event in received]
    assert "AUTOSCALING:SCALE_OUT_SUCCESS" in types, types
    ours = [e["content"] for e in received
            if e["content"].get("origin") == "controller" and e["event"].endswith("_SUCCESS")]
    assert len(ours) >= executed - 1  # the last one may still be in progress at the end
    ids = [e["scalingActivityId"] for e in ours]
    assert len(ids) == len(set(ids)), "an activity was announced twice"
