"""``autoscaler instances attach|remove``: put existing ECS instances into a group, or take them out.

::

    autoscaler instances attach --config C --group NAME --instance-id i-1 [--instance-id i-2] [--weight 50]
    autoscaler instances remove --config C --group NAME --instance-id i-1 [--remove-policy release|recycle]

The group is named as in the policy files; ESS is reached as the configuration says
(the embedded emulator, an endpoint, a region). Before any write call the command
checks what the reference documents, so the operator reads a clear message instead of
a bare error code:

- at most 20 instance ids per call (``InstanceId.N``), no duplicates; weights 0-100;
- attach: the group's TotalCapacity plus the new instances must not exceed MaxSize
  (``IncorrectCapacity.MaxSize``, with the reference's message);
- remove: the instances must belong to the group, and TotalCapacity minus them must
  not fall below MinSize (``IncorrectCapacity.MinSize``).

ESS still checks everything itself (instance status, network type, an activity in
progress); its answer is printed with its code. ``--dry-run`` (or ``mode: shadow``)
runs the checks and prints the call without making it. Exit status: 0 done, 1 ESS
refused, 2 a bad argument or configuration, or a failed check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoscaler.cli._compose import _client
from autoscaler.cli._embedded import start_embedded
from autoscaler.clock import SystemClock
from autoscaler.controller.config import ControllerConfig
from autoscaler.controller.config_loader import ConfigError, load_config
from autoscaler.ess import EssError, ess_error
from autoscaler.ess.client import EssClient
from autoscaler.ess.errors import AutoscalerError

__all__ = ["MAX_IDS", "CheckError", "check_attach", "check_remove", "register"]

MAX_IDS = 20
"""``InstanceId.N`` of AttachInstances and RemoveInstances: N up to 20."""


class CheckError(ValueError):
    """A documented precondition that fails before any call; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupFacts:
    """What the checks need to know of the group, as DescribeScalingGroups/Instances say."""

    name: str
    total: int
    min_size: int
    max_size: int
    members: frozenset[str]


def _check_ids(ids: list[str]) -> None:
    if not ids:
        raise CheckError("--instance-id: give at least one instance id")
    if len(ids) > MAX_IDS:
        raise CheckError(f"--instance-id: at most {MAX_IDS} instances per call (got {len(ids)})")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CheckError(f"--instance-id: given twice: {', '.join(duplicates)}")


def check_attach(facts: GroupFacts, ids: list[str], weight: int | None) -> None:
    """The documented preconditions of AttachInstances that the controller can see."""
    _check_ids(ids)
    if weight is not None and not 0 <= weight <= 100:
        raise CheckError(f"--weight: must be within 0-100 (got {weight})")
    already = sorted(set(ids) & facts.members)
    if already:
        raise CheckError(f"--instance-id: already in group {facts.name}: {', '.join(already)}")
    if facts.total + len(ids) > facts.max_size:
        error = ess_error("IncorrectCapacity.MaxSize", action="AttachInstances")
        raise CheckError(f"{error.code}: {error.message} (group {facts.name}: TotalCapacity {facts.total} + "
                         f"{len(ids)} > MaxSize {facts.max_size})")


def check_remove(facts: GroupFacts, ids: list[str], remove_policy: str | None) -> None:
    """The documented preconditions of RemoveInstances that the controller can see."""
    _check_ids(ids)
    if remove_policy not in (None, "release", "recycle"):
        raise CheckError(f"--remove-policy: must be release or recycle (got {remove_policy!r})")
    strangers = sorted(set(ids) - facts.members)
    if strangers:
        raise CheckError(f"--instance-id: not in group {facts.name}: {', '.join(strangers)}")
    if facts.total - len(ids) < facts.min_size:
        error = ess_error("IncorrectCapacity.MinSize", action="RemoveInstances")
        raise CheckError(f"{error.code}: {error.message} (group {facts.name}: TotalCapacity {facts.total} - "
                         f"{len(ids)} < MinSize {facts.min_size})")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "instances", help="attach existing ECS instances to a group, or remove instances from it",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="instances_command", metavar="ACTION", required=True)
    for name, what in (("attach", "AttachInstances"), ("remove", "RemoveInstances")):
        action = sub.add_parser(name, help=f"{what}, after the documented MinSize/MaxSize checks")
        action.add_argument("--config", default="config/autoscaler.yaml", help="configuration file")
        action.add_argument("--group", required=True, help="scaling group name")
        action.add_argument("--instance-id", action="append", default=[], dest="instance_ids", required=True,
                            help="ECS instance id (repeat for several, at most 20)")
        action.add_argument("--dry-run", action="store_true", help="check and print, make no call")
        if name == "attach":
            action.add_argument("--weight", type=int, default=None, help="load-balancer weight 0-100 of each")
        else:
            action.add_argument("--remove-policy", choices=("release", "recycle"), default=None,
                                help="release (default) or recycle (groups whose ScalingPolicy is recycle)")
        action.set_defaults(func=run_instances)


def run_instances(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, environ=os.environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = Path(args.config).resolve().parent
    try:
        return asyncio.run(_main(args, config, base))
    except CheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EssError as exc:
        print(f"error: ESS refused: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (AutoscalerError, LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _connect(config: ControllerConfig, base: Path) -> EssClient:
    clock = SystemClock()
    if config.ess.endpoint == "embedded":
        client, _ = start_embedded(config.embedded, clock=clock, region=config.ess.region,
                                   timeout=config.ess.timeout_seconds, base=base)
        return client
    return _client(config, base, os.environ, clock, lambda action, code: None, lambda secret: None)


async def _facts(client: EssClient, name: str) -> tuple[str, GroupFacts]:
    groups = await client.describe_scaling_groups(names=[name])
    if not groups:
        raise LookupError(f"--group: scaling group {name!r} does not exist")
    group = groups[0]
    members = await client.describe_scaling_instances(scaling_group_id=group.scaling_group_id)
    ids = frozenset(i.instance_id for i in members)
    facts = GroupFacts(name=name, total=max(group.total_capacity, len(ids)), min_size=group.min_size,
                       max_size=group.max_size, members=ids)
    return group.scaling_group_id, facts


async def _main(args: argparse.Namespace, config: ControllerConfig, base: Path) -> int:
    ids: list[str] = list(args.instance_ids)
    dry = args.dry_run or config.mode == "shadow"
    async with _connect(config, base) as client:
        group_id, facts = await _facts(client, args.group)
        if args.instances_command == "attach":
            check_attach(facts, ids, args.weight)
            weights = [args.weight] * len(ids) if args.weight is not None else []
            call = f"AttachInstances {args.group} ({group_id}) {' '.join(ids)}" + (
                f" LoadBalancerWeight={args.weight}" if args.weight is not None else "")
            if dry:
                print(f"dry run: would call {call}")
                return 0
            activity = await client.attach_instances(group_id, ids, weights=weights)
        else:
            check_remove(facts, ids, args.remove_policy)
            call = f"RemoveInstances {args.group} ({group_id}) {' '.join(ids)}" + (
                f" RemovePolicy={args.remove_policy}" if args.remove_policy else "")
            if dry:
                print(f"dry run: would call {call}")
                return 0
            activity = await client.remove_instances(group_id, ids, remove_policy=args.remove_policy)
    print(f"{call}: scaling activity {activity}")
    return 0
