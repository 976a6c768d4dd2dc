"""``autoscaler run``: the control loop, live or in shadow mode.

Reads the configuration (default ``config/autoscaler.yaml``: the embedded ess-local
with a demo group and a synthetic workload), starts the loop, serves ``/metrics``,
``/healthz`` and ``/readyz`` on the listen address, and shows a live view on a
terminal. SIGTERM or SIGINT stops it cleanly: the calls in flight finish and are
journaled. ``--dry-run`` is shadow mode: every decision is computed and reported,
no write call is made.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO, cast

from autoscaler.cli._compose import Runtime, build_runtime
from autoscaler.cli._live import LiveView
from autoscaler.clock import SystemClock
from autoscaler.controller.config_loader import ConfigError, load_config
from autoscaler.ess.errors import AutoscalerError
from autoscaler.observability.logging import Redactor, configure_logging

__all__ = ["register"]

log = logging.getLogger("autoscaler.run")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="run the control loop (live, or shadow with --dry-run)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--config", default="config/autoscaler.yaml", help="configuration file")
    parser.add_argument("--listen", default=None, help="HOST:PORT for /metrics, /healthz, /readyz")
    parser.add_argument("--dry-run", action="store_true", help="shadow mode: decide and report, never write")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="stop after this many seconds (demos and tests)")
    parser.add_argument("--no-live-view", action="store_true", help="logs only, even on a terminal")
    parser.set_defaults(func=run)


class _Stderr(io.TextIOBase):
    """Writes to whatever ``sys.stderr`` is now, so the live view can print logs above itself."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, environ=os.environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    redactor = configure_logging(level=config.logging.level, fmt=config.logging.format,
                                 stream=cast(TextIO, _Stderr()))
    for noisy in ("httpx", "apscheduler"):  # one line per request or job is not an operator's log
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return asyncio.run(_main(args, config, redactor))
    except (AutoscalerError, LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


async def _main(args: argparse.Namespace, config: Any, redactor: Redactor) -> int:
    base = Path(args.config).resolve().parent  # relative paths in the file are relative to the file
    live = None
    if config.live_view and not args.no_live_view and sys.stdout.isatty():
        live = LiveView()
    rt: Runtime = await build_runtime(config, base=base, environ=os.environ, clock=SystemClock(),
                                      dry_run=args.dry_run, register_secret=redactor.register_secret)
    if live is not None:
        live.load_at = rt.workload.load_at if rt.workload is not None else None
        rt.controller.add_sink(live)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.duration is not None:
        loop.call_later(args.duration, stop.set)
    mode = "shadow" if args.dry_run or config.mode == "shadow" else "live"
    log.info("autoscaler %s mode: %d group(s), every %gs", mode, len(rt.controller.tickers), config.interval_seconds)
    server = await _serve(rt, args.listen or config.listen)
    rt.start_background()
    try:
        if live is not None:
            await _with_live_view(rt, live, stop)
        else:
            await rt.controller.run(stop)
    finally:
        if server is not None:
            await server.stop()
        await rt.aclose()
    return 0


async def _with_live_view(rt: Runtime, live: LiveView, stop: asyncio.Event) -> None:
    from rich.live import Live

    with Live(live.render(), refresh_per_second=2, transient=False) as view:
        task = asyncio.create_task(rt.controller.run(stop))
        while not task.done():
            view.update(live.render())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), 0.5)
        await task


async def _serve(rt: Runtime, listen: str) -> Any:
    """Start the observability server on ``listen`` (HOST:PORT)."""
    from autoscaler.cli._server import start_server

    return await start_server(rt, listen)
