"""``autoscaler emulator``: run ``ess-local``, the ESS emulator, as a standalone HTTP server.

It serves the ESS RPC protocol (API 2014-08-28) and the ECS actions the product needs
(2014-05-26) on one port, with the admin interface under ``/_emulator/``. It binds to
loopback unless told otherwise: the admin interface is unsigned. Without
``--access-key`` it accepts the reference's example pair ``testid``/``testsecret``
and says so. SIGTERM and SIGINT stop it cleanly (uvicorn finishes the requests in
flight); with ``--state`` everything acknowledged is already in the SQLite file.

Example::

    autoscaler emulator --port 8080 --access-key AK:SK --launch-seconds 5
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import Any

from autoscaler.clock import SystemClock
from autoscaler.emulator.http import EmulatorApp
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.emulator.store import SqliteStore
from autoscaler.ess.credentials import EXAMPLE_CREDENTIALS, Credentials, CredentialsError, parse_access_key

__all__ = ["build_app", "register"]

log = logging.getLogger("autoscaler.emulator")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="run ess-local, the ESS emulator, as an HTTP server",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (default 8080; 0 picks a free port)")
    parser.add_argument("--state", metavar="FILE", help="SQLite file to keep the state in (default: memory only)")
    parser.add_argument(
        "--access-key", action="append", default=[], metavar="ID:SECRET",
        help="an accepted AccessKey pair (repeatable); default: the documented testid:testsecret",
    )
    parser.add_argument("--region", default="cn-hangzhou", help="the region served (default cn-hangzhou)")
    parser.add_argument(
        "--launch-seconds", type=float, default=None, metavar="N",
        help="seconds a launched instance stays Pending (default: the emulator's 60)",
    )
    parser.set_defaults(func=run)


def _keys(specs: list[str]) -> dict[str, Credentials]:
    keys: dict[str, Credentials] = {}
    for spec in specs:
        creds = parse_access_key(spec)
        keys[creds.access_key_id] = creds
    return keys


def build_app(args: argparse.Namespace) -> EmulatorApp:
    """The application the arguments describe (validated; errors name the option)."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port: {args.port} is not a TCP port")
    if args.launch_seconds is not None and args.launch_seconds < 0:
        raise ValueError("--launch-seconds: must be >= 0")
    options: dict[str, Any] = {"region": args.region}
    if args.launch_seconds is not None:
        options["launch_seconds"] = args.launch_seconds
    settings = EmulatorSettings(**options)
    clock = SystemClock()
    store = SqliteStore(args.state) if args.state else None
    service = EssService(clock, settings=settings, store=store)
    return EmulatorApp(service, clock=clock, keys=_keys(args.access_key) or None)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    try:
        app = build_app(args)
    except (ValueError, CredentialsError) as exc:
        sys.stderr.write(f"autoscaler emulator: {exc}\n")
        return 2
    if not args.access_key:
        sys.stderr.write(
            "ess-local: no --access-key given; accepting the documented example pair "
            f"{EXAMPLE_CREDENTIALS.access_key_id}/testsecret\n"
        )
    sys.stderr.write(
        f"ess-local: serving ESS (2014-08-28) and ECS (2014-05-26) for {args.region} "
        f"on http://{args.host}:{args.port}/ (admin under /_emulator/)\n"
    )
    config = uvicorn.Config(
        app, host=args.host, port=args.port, http="httptools", loop="auto",
        lifespan="on", access_log=False, log_level="warning",
    )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal with the
    # handlers that were in place before it started: these make that a clean exit.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    try:
        uvicorn.Server(config).run()
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise
    sys.stderr.write("ess-local: stopped\n")
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
