"""The far side of the controller scale benchmark: ess-local and a Prometheus stand-in.

Run as its own process by ``bench/controller_scale.py`` (so that the controller's CPU
share is its own). It

1. builds an :class:`EssService` with the quotas raised for ``--groups`` groups (the
   documented 20 groups and 1,000 auto-created instances would refuse the benchmark),
   short launch and removal times (so that an activity ends before the group's next
   tick), and creates the groups ``scale-0000`` ... each with one scaling
   configuration, enabled, MinSize 1, MaxSize 10;
2. writes ``{"name": "id", ...}`` to ``--groups-out`` once they exist;
3. serves the ESS protocol and, on the same port, ``POST /api/v1/query``: a minimal
   Prometheus instant-query answer. The query ``bench_load{group="scale-0007"}`` is
   a per-group demand (requests per second) that moves between 200, 400 and 300 every
   two intervals, so that target tracking at 100 per instance wants a new capacity at
   about three ticks in eight. Each group's changes are shifted by its own phase, so
   that the executions are spread over time; ``--synchronized`` changes every group's
   demand at the same instants (a burst of N executions in one interval, every other
   interval: the worst case);
4. appends ``<ClientToken> <unix time>`` to ``--record`` for every ExecuteScalingRule
   it receives: the moment the call the controller's tick caused arrived.

    python bench/_scale_server.py --port 8081 --groups 1000 --interval 15 \\
        --groups-out /tmp/groups.json --record /tmp/executes.txt
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from autoscaler.clock import SystemClock  # noqa: E402
from autoscaler.emulator.http import EmulatorApp, Receive, Scope, Send  # noqa: E402
from autoscaler.emulator.service import EssService, Reply  # noqa: E402
from autoscaler.emulator.settings import EmulatorSettings  # noqa: E402
from autoscaler.ess.credentials import Credentials  # noqa: E402

LEVELS = (2, 4, 3, 2)
"""Instances a group's demand needs, in turn; each level lasts two intervals."""
PER_INSTANCE = 100.0
"""Requests per second one instance serves (the policies' target)."""
MAX_SIZE = 10
KEY = Credentials(access_key_id="scale-bench", access_key_secret="scale-bench-secret")
_QUERY = re.compile(r'^bench_load\{group="scale-(\d{4})"\}$')


def group_name(index: int) -> str:
    return f"scale-{index:04d}"


def demand(index: int, at: float, interval: float, *, synchronized: bool = False) -> float:
    """Requests per second of group ``index`` at unix time ``at``."""
    shift = 0.0 if synchronized else (index * 0.6180339887 % 1.0) * 2 * interval  # golden-ratio phases
    return PER_INSTANCE * LEVELS[(int((at + shift) // interval) // 2 + index) % len(LEVELS)]


class RecordingService(EssService):
    """ess-local that notes when each ExecuteScalingRule arrives (before it is applied)."""

    def __init__(self, *args: Any, record: TextIO, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._record = record

    def dispatch(self, action: str, params: Mapping[str, str]) -> Reply:
        if action == "ExecuteScalingRule":
            self._record.write(f"{params.get('ClientToken', '-')} {time.time():.6f}\n")
        return super().dispatch(action, params)


class BenchApp:
    """The emulator, plus ``/api/v1/query`` answering the per-group demand."""

    def __init__(self, emulator: EmulatorApp, *, interval: float, synchronized: bool) -> None:
        self._emulator = emulator
        self._interval = interval
        self._synchronized = synchronized

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v1/query":
            await self._query(receive, send)
        else:
            await self._emulator(scope, receive, send)

    async def _query(self, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        form = parse_qs(body.decode("utf-8"))
        match = _QUERY.match(form.get("query", [""])[0])
        now = time.time()
        answer: dict[str, Any]
        if match is None:
            status, answer = 400, {"status": "error", "errorType": "bad_data", "error": "unknown query"}
        else:
            value = demand(int(match.group(1)), now, self._interval, synchronized=self._synchronized)
            status, answer = 200, {"status": "success", "data": {"resultType": "scalar", "result": [now, str(value)]}}
        data = json.dumps(answer).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


def create_groups(service: EssService, count: int) -> dict[str, str]:
    """``count`` enabled groups with one configuration each; name -> id."""
    ids: dict[str, str] = {}
    for index in range(count):
        name = group_name(index)
        gid = service.handle("CreateScalingGroup", {
            "RegionId": service.settings.region, "ScalingGroupName": name, "MinSize": "1",
            "MaxSize": str(MAX_SIZE), "DefaultCooldown": "0",
        })["ScalingGroupId"]
        cid = service.handle("CreateScalingConfiguration", {
            "ScalingGroupId": gid, "InstanceType": "ecs.g6.large", "SecurityGroupId": "sg-bench",
            "ImageId": "ubuntu_22_04_x64_20G", "ScalingConfigurationName": f"{name}-config",
        })["ScalingConfigurationId"]
        service.handle("EnableScalingGroup", {"ScalingGroupId": gid, "ActiveScalingConfigurationId": cid})
        ids[name] = gid
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--groups", type=int, required=True)
    parser.add_argument("--interval", type=float, default=15.0)
    parser.add_argument("--launch-seconds", type=float, default=2.0)
    parser.add_argument("--synchronized", action="store_true", help="every group's demand changes at once")
    parser.add_argument("--groups-out", type=Path, required=True)
    parser.add_argument("--record", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = EmulatorSettings(
        launch_seconds=args.launch_seconds, removal_seconds=args.launch_seconds,
        max_scaling_groups=args.groups, max_auto_created_instances=args.groups * MAX_SIZE,
    )
    clock = SystemClock()
    with args.record.open("a", buffering=1, encoding="utf-8") as record:
        service = RecordingService(clock, settings=settings, record=record)
        ids = create_groups(service, args.groups)
        app = BenchApp(EmulatorApp(service, clock=clock, keys={KEY.access_key_id: KEY}), interval=args.interval,
                       synchronized=args.synchronized)
        config = uvicorn.Config(app, host="127.0.0.1", port=args.port, http="httptools", lifespan="off",
                                access_log=False, log_level="warning")
        tmp = args.groups_out.with_suffix(".tmp")
        tmp.write_text(json.dumps(ids), encoding="utf-8")
        tmp.replace(args.groups_out)
        signal.signal(signal.SIGTERM, _exit)
        try:
            uvicorn.Server(config).run()
        except SystemExit as stop:
            if stop.code not in (0, None):
                raise
    return 0


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
