"""An ``ess-local`` server in a thread on 127.0.0.1 with a free port, stopped by the test.

As httpx's own test-suite does: uvicorn runs in a background thread on a socket we
bind ourselves (so the port is known before it starts), and the context manager stops
it whatever happens.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from autoscaler.clock import Clock
from autoscaler.emulator.http import EmulatorApp
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess.client import EssClient
from autoscaler.ess.credentials import Credentials


@dataclass
class RunningEmulator:
    app: EmulatorApp
    service: EssService
    clock: Clock
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve(app: object) -> Iterator[int]:
    """Serve an ASGI app on a free loopback port; yield the port."""
    # proto=IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only
    # when the listening socket says TCP, else every response waits for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, http="httptools", loop="asyncio", lifespan="off", access_log=False, log_level="critical",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running_emulator(
    clock: Clock,
    *,
    settings: EmulatorSettings | None = None,
    keys: Mapping[str, Credentials] | None = None,
) -> Iterator[RunningEmulator]:
    service = EssService(clock, settings=settings or EmulatorSettings(launch_seconds=5))
    app = EmulatorApp(service, clock=clock, keys=keys)
    with serve(app) as port:
        yield RunningEmulator(app=app, service=service, clock=clock, port=port)
    assert service.internal_errors == [], f"emulator bugs: {service.internal_errors!r}"


async def create_enabled_group(client: EssClient, name: str, *, min_size: int = 1, max_size: int = 10) -> str:
    """A scaling group with one scaling configuration, enabled (DefaultCooldown 0); its id."""
    gid = await client.create_scaling_group(min_size=min_size, max_size=max_size, ScalingGroupName=name,
                                            DefaultCooldown=0)
    conf = await client.create_scaling_configuration(gid, instance_type="ecs.g6.large", security_group_id="sg-1",
                                                     ImageId="img-1")
    await client.enable_scaling_group(gid, configuration_id=conf)
    return gid
