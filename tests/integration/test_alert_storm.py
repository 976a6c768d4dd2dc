"""An alert storm over real loopback HTTP: 10,000 alerts within a minute, at most one action per group per tick.

The receiver runs in uvicorn on a free 127.0.0.1 port (tests/integration/_server.py);
eight client threads post one alert per request (Alertmanager with ``group_by:
['...']`` sends one alert per notification, the worst case for the endpoint) while a
"controller" thread drains every group every 50 ms, as a tick would. Without a
cooldown each tick may hand out one action per group; with the default cooldown the
whole storm becomes one action per group. The response
times are printed as JSON (p50, p99, max) for docs/benchmarks.md.
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from typing import Any

import httpx
import pytest

from autoscaler.alerting import AlertMappings, AlertQueue, AlertReceiver, load_mappings, load_receiver_settings
from autoscaler.clock import SystemClock
from tests.integration._server import serve

TOKEN = "storm-token-0123456789abcdef"
GROUPS = ("asg-a", "asg-b", "asg-c", "asg-d")
ALERTS = 10_000
CLIENTS = 8


def _mappings(cooldown: float) -> AlertMappings:
    return load_mappings({"mappings": [
        {"name": "out", "alertname": "InstanceHot", "group_label": "scaling_group", "cooldown_seconds": cooldown,
         "action": {"type": "execute_rule", "scaling_rule_ari": "ari:acs:ess:cn-hangzhou:1:scalingrule/asr-out"}},
        {"name": "floor", "alertname": "InstanceHot", "group_label": "scaling_group",
         "action": {"type": "floor", "min_capacity": 8, "max_duration_seconds": 3600}},
    ]})


def _body(n: int, starts_at: str) -> bytes:
    alert = {"status": "firing", "labels": {"alertname": "InstanceHot", "scaling_group": GROUPS[n % len(GROUPS)],
                                            "instance": f"i-{n:06d}"},
             "annotations": {}, "startsAt": starts_at, "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus/graph", "fingerprint": f"{n:016x}"}
    return json.dumps({"version": "4", "groupKey": f"{{}}:{{instance=\"i-{n:06d}\"}}", "truncatedAlerts": 0,
                       "status": "firing", "receiver": "autoscaler", "groupLabels": {}, "commonLabels": {},
                       "commonAnnotations": {}, "externalURL": "http://alertmanager", "alerts": [alert]}).encode()


class Controller(threading.Thread):
    """Drains every group every 50 ms and records what each drain handed out."""

    def __init__(self, queue: AlertQueue) -> None:
        super().__init__(daemon=True)
        self.queue = queue
        self.stop = threading.Event()
        self.actions_per_drain: list[int] = []
        self.floors: set[int | None] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            self.tick()
            time.sleep(0.05)
        self.tick()

    def tick(self) -> None:
        for group in GROUPS:
            drained = self.queue.drain(group)
            self.actions_per_drain.append(0 if drained.action is None else 1)
            self.floors.add(drained.floor)


@pytest.mark.slow
@pytest.mark.parametrize("cooldown", [0, 300])
def test_a_storm_of_ten_thousand_alerts_is_absorbed_with_one_action_per_group_per_tick(cooldown: float) -> None:
    queue = AlertQueue(clock=SystemClock())
    settings = load_receiver_settings({"auth": {"type": "bearer", "token": TOKEN}})
    app = AlertReceiver(settings=settings, mappings=_mappings(cooldown), sink=queue, clock=SystemClock())
    starts_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    controller = Controller(queue)

    def client(worker: int, port: int) -> None:
        mine: list[tuple[int, float]] = []
        # TCP_NODELAY as Alertmanager's Go client has it: without it, the request's
        # header and body writes meet the delayed ACK and every request waits 40 ms.
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30, transport=transport,
                          headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}) as http:
            for n in range(worker, ALERTS, CLIENTS):
                body = _body(n, starts_at)
                began = time.perf_counter()
                response = http.post("/alerts", content=body)
                mine.append((response.status_code, time.perf_counter() - began))
        with lock:
            statuses.extend(s for s, _ in mine)
            latencies.extend(t for _, t in mine)

    with serve(app) as port:
        controller.start()
        began = time.monotonic()
        workers = [threading.Thread(target=client, args=(w, port)) for w in range(CLIENTS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        elapsed = time.monotonic() - began
        controller.stop.set()
        controller.join(timeout=10)

    assert statuses == [200] * ALERTS
    assert elapsed < 60, f"{ALERTS} alerts took {elapsed:.1f} s"
    assert max(controller.actions_per_drain) <= 1  # never more than one ESS call per group per tick
    ticks = len(controller.actions_per_drain) // len(GROUPS)
    executed = sum(controller.actions_per_drain)
    assert 1 <= executed <= ticks * len(GROUPS)
    if cooldown:  # the mapping's cooldown absorbs the whole storm: one execution per group
        assert executed == len(GROUPS)
    assert controller.floors >= {8}
    assert queue.pending_groups() == frozenset()
    ordered = sorted(latencies)
    report: dict[str, Any] = {
        "benchmark": "alert storm (issue 8)", "cooldown_seconds": cooldown,
        "alerts": ALERTS, "clients": CLIENTS, "groups": len(GROUPS),
        "seconds": round(elapsed, 2), "alerts_per_second": round(ALERTS / elapsed),
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p99_ms": round(1000 * ordered[int(0.99 * len(ordered)) - 1], 2),
        "max_ms": round(1000 * ordered[-1], 2), "ticks": ticks, "actions_executed": executed,
    }
    print(json.dumps(report))
