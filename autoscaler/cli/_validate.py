"""``autoscaler validate`` and ``autoscaler schedule``: check files, preview schedules.

``validate --config FILE`` reads the configuration and every policy file it names,
without starting anything or calling any API, and prints every problem as
``file:line: field: message``. Exit status 0 when all is valid, 2 otherwise.

``schedule --policy FILE [--count N] [--after TIME]`` prints the next fire times of
each scheduled policy of a policy file (UTC, ESS wire format), so an operator sees
what a Cron or Monthly recurrence really means before enabling it.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autoscaler.cli._compose import load_policies
from autoscaler.controller.config_loader import ConfigError, load_config
from autoscaler.ess.errors import AutoscalerError
from autoscaler.ess.recurrence import format_wire_minute, parse_wire_minute
from autoscaler.policy.build import schedule_of
from autoscaler.policy.loader import load_policy_file
from autoscaler.policy.spec import ScheduledSpec

__all__ = ["register"]


def register(subparsers: Any) -> None:
    validate = subparsers.add_parser("validate", help="check a configuration and its policy files")
    validate.add_argument("--config", default="config/autoscaler.yaml", help="configuration file")
    validate.set_defaults(func=run_validate)
    schedule = subparsers.add_parser("schedule", help="print the next fire times of a policy file's schedules")
    schedule.add_argument("--policy", required=True, help="policy file")
    schedule.add_argument("--count", type=int, default=5, help="fire times per schedule (default 5)")
    schedule.add_argument("--after", default=None, metavar="YYYY-MM-DDThh:mmZ", help="start (default: now)")
    schedule.set_defaults(func=run_schedule)


def run_validate(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, environ=os.environ)
        policy_sets = load_policies(config, Path(args.config).resolve().parent)
    except (ConfigError, AutoscalerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for policy_set in policy_sets:
        group = policy_set.group_name or policy_set.group_id
        kinds = ", ".join(f"{p.name}" for p in policy_set.policies)
        print(f"ok: {policy_set.source}: group {group}: {kinds}")
    print(f"ok: {args.config}: mode {config.mode}, every {config.interval_seconds:g}s, "
          f"{len(policy_sets)} policy file(s)")
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    if not 1 <= args.count <= 1000:
        print("error: --count: must be between 1 and 1000", file=sys.stderr)
        return 2
    try:
        start = parse_wire_minute(args.after, field="--after") if args.after else datetime.now(UTC)
        policy_set = load_policy_file(args.policy)
    except (AutoscalerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scheduled = [p for p in policy_set.spec.policies if isinstance(p, ScheduledSpec)]
    if not scheduled:
        print(f"{args.policy}: no scheduled policy")
        return 0
    for spec in scheduled:
        schedule = schedule_of(spec)
        kind = spec.recurrence_type.value if spec.recurrence_type else "once"
        print(f"{spec.name} ({kind} {spec.recurrence_value or ''}):".replace(" )", ")"))
        t = start
        for _ in range(args.count):
            fire = schedule.next_after(t)
            if fire is None:
                print("  (no further fire time)")
                break
            print(f"  {format_wire_minute(fire)}")
            t = fire
    return 0
