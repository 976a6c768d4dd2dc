"""The composition root: the ``autoscaler`` command and its subcommands.

Only this package builds real objects (clocks, clients, servers, registries) and
reads the environment (STYLE.md habit 9). Each subcommand lives in its own module
and exposes ``register(subparsers)``, which adds its parser and sets ``func``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

__all__ = ["main"]

# Subcommand modules, in the order ``--help`` lists them.
_SUBCOMMANDS: tuple[str, ...] = (
    "autoscaler.cli._run",
    "autoscaler.cli._validate",
    "autoscaler.cli._emulator",
    "autoscaler.cli._simulate",
    "autoscaler.cli._instances",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autoscaler",
        description="Metric-driven autoscaling for Alibaba Cloud Auto Scaling (ESS) scaling groups.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _SUBCOMMANDS:
        import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
