"""BENCHMARKS.md section 5: memory of the emulator holding 1,000 groups of 100 instances.

Builds the fleet through the service's own actions (quotas raised, as a real account
can have them raised), lets every launch finish on a virtual clock, then reports the
peak resident memory of this process, the size of the SQLite state file, and the
time a fresh service takes to load that file. Each measurement runs in its own
child process so that one does not inflate the other's peak.

    .venv/bin/python bench/emulator_memory.py [--groups 1000] [--instances 100]

Prints one JSON object per case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from autoscaler.clock import VirtualClock
from autoscaler.emulator.service import EssService
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.emulator.store import SqliteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _settings(groups: int, instances: int) -> EmulatorSettings:
    return EmulatorSettings(launch_seconds=60, max_scaling_groups=groups,
                            max_auto_created_instances=groups * instances)


def build(groups: int, instances: int, state: str | None) -> dict[str, object]:
    clock = VirtualClock(T0)
    store = SqliteStore(state) if state else None
    service = EssService(clock, settings=_settings(groups, instances), store=store)
    started = time.perf_counter()
    for g in range(groups):
        gid = service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0",
                                                    "MaxSize": str(instances), "ScalingGroupName": f"g{g}"})[
            "ScalingGroupId"]
        cid = service.handle("CreateScalingConfiguration", {"ScalingGroupId": gid, "InstanceType": "ecs.g6.large",
                                                            "SecurityGroupId": "sg-1", "ImageId": "img-1"})[
            "ScalingConfigurationId"]
        service.handle("EnableScalingGroup", {"ScalingGroupId": gid, "ActiveScalingConfigurationId": cid})
        ari = service.handle("CreateScalingRule", {"ScalingGroupId": gid, "AdjustmentType": "TotalCapacity",
                                                   "AdjustmentValue": str(instances)})["ScalingRuleAri"]
        service.handle("ExecuteScalingRule", {"ScalingRuleAri": ari, "ClientToken": f"fill-{g}"})
    clock.advance(timedelta(minutes=5))
    service.advance(clock.now())
    check = service.handle("DescribeScalingGroups", {"RegionId": "cn-hangzhou", "ScalingGroupName.1": "g0"})
    total = check["ScalingGroups"]["ScalingGroup"][0]["TotalCapacity"]
    build_seconds = time.perf_counter() - started
    service.close()
    return {"groups": groups, "instances_per_group": instances, "group0_total": total,
            "build_seconds": round(build_seconds, 1)}


def load(groups: int, instances: int, state: str) -> dict[str, object]:
    started = time.perf_counter()
    service = EssService(VirtualClock(T0 + timedelta(minutes=5)), settings=_settings(groups, instances),
                         store=SqliteStore(state))
    seconds = time.perf_counter() - started
    service.close()
    return {"load_seconds": round(seconds, 2)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    if args.step == "memory":
        out = build(args.groups, args.instances, None)
    elif args.step == "build":
        out = build(args.groups, args.instances, args.state)
    else:
        out = load(args.groups, args.instances, args.state)
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    print(json.dumps(out))


def run_child(step: str, args: argparse.Namespace, state: str) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", step, "--groups", str(args.groups),
           "--instances", str(args.instances), "--state", state]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--child", dest="step", default=None)
    parser.add_argument("--state", default="")
    args = parser.parse_args()
    if args.step:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        state = str(Path(tmp) / "ess-local.sqlite")
        memory = run_child("memory", args, state)
        print(json.dumps({"benchmark": "emulator_memory", "case": "in_memory", **memory, "goal_mb": 500}))
        built = run_child("build", args, state)
        size_mb = os.path.getsize(state) / 2**20
        print(json.dumps({"benchmark": "emulator_memory", "case": "with_state_file", **built,
                          "state_file_mb": round(size_mb, 1), "goal_mb": 500}))
        loaded = run_child("load", args, state)
        print(json.dumps({"benchmark": "emulator_memory", "case": "restart", **loaded, "goal_seconds": 5}))


if __name__ == "__main__":
    main()
