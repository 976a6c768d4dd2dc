"""Demand from Prometheus history: the range query becomes the same trace as the CSV would.

A small Prometheus HTTP API on loopback answers ``/api/v1/query_range`` with a
five-minute series (with a gap); ``autoscaler simulate --prometheus`` must replay it
exactly as ``--trace`` replays the same points written as a CSV.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from autoscaler.cli import main
from autoscaler.simulation.inputs import trace_from_samples
from autoscaler.simulation.recommended import recommended_policy
from autoscaler.simulation.replay import ReplaySettings, replay

START = 1_600_000_200  # a multiple of 300
POINTS = {START + 300 * k: float(20.0 + 15.0 * np.sin(k / 6.0) ** 2) for k in range(120) if k not in (40, 41)}


class _Prometheus(BaseHTTPRequestHandler):
    queries: list[str] = []

    def do_POST(self) -> None:
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.queries.append(form["query"][0])
        lo, hi, step = float(form["start"][0]), float(form["end"][0]), float(form["step"][0])
        values = [[ts, f"{v!r}"] for ts, v in POINTS.items() if lo <= ts <= hi and (ts - lo) % step == 0]
        body = json.dumps({"status": "success", "data": {"resultType": "matrix",
                                                         "result": [{"metric": {}, "values": values}]}}).encode()
        self.send_response(200 if self.path == "/api/v1/query_range" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def _prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_prometheus_range_replays_like_the_same_points_in_a_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "demand.csv"
    csv_path.write_text("timestamp,value\n" + "".join(f"{ts},{v!r}\n" for ts, v in POINTS.items()))
    from_csv, from_prom = tmp_path / "csv.json", tmp_path / "prom.json"
    assert main(["simulate", "--trace", str(csv_path), "--json", str(from_csv), "--no-progress"]) == 0
    with _prometheus() as url:
        code = main(["simulate", "--prometheus", url, "--query", "sum(rate(requests_total[5m]))",
                     "--start", str(START), "--end", "2020-09-13T22:25:00Z", "--step", "5m",
                     "--json", str(from_prom), "--no-progress"])
    assert code == 0
    assert _Prometheus.queries == ["sum(rate(requests_total[5m]))"]
    a, b = json.loads(from_csv.read_text()), json.loads(from_prom.read_text())
    assert a["minutes"] == b["minutes"] == 119 * 5 + 1
    for key in ("start", "cost", "overload_minutes", "oracle_cost", "scaling_activities", "capacity_per_instance"):
        assert a[key] == b[key], key


def test_samples_are_held_step_wise_on_the_minute_grid_and_gaps_hold_the_last_value() -> None:
    stamps = np.array([0.0, 120.0, 180.0, 300.0])
    values = np.array([1.0, 2.0, np.nan, 4.0])
    trace = trace_from_samples("t", stamps, values)
    assert trace.start == 0
    assert trace.demand.tolist() == [1.0, 1.0, 2.0, 2.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("stamps", "values", "message"),
    [
        ([0.0, 60.0], [np.nan, np.nan], "no value in the window"),
        ([60.0, 0.0], [1.0, 2.0], "strictly increasing"),
        ([0.0, 60.0], [1.0, -2.0], "must be >= 0"),
    ],
)
def test_unusable_samples_are_refused_naming_the_field(stamps: list[float], values: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trace_from_samples("t", np.array(stamps), np.array(values))


def test_progress_is_reported_up_to_the_last_minute() -> None:
    trace = trace_from_samples("t", np.arange(0.0, 600.0 * 60, 60.0), np.full(600, 5.0))
    seen: list[tuple[int, int]] = []
    replay(trace, recommended_policy(), settings=ReplaySettings(), progress=lambda done, n: seen.append((done, n)))
    assert seen[0] == (0, 600) and seen[-1] == (600, 600)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
