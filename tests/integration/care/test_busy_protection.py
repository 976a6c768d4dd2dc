"""Busy protection against ess-local over HTTP: scale-ins remove idle workers only.

Six workers, a policy that wants one (CPU far below target, scale-in undamped), and a
jobs-in-progress metric per instance served by a Prometheus API double. While every
worker is busy the group does not shrink; as workers go idle (for ``idleTicks``
ticks) they lose their protection and the scale-ins take exactly them, also across a
controller restart; a worker whose metric flaps for one tick keeps its protection
without a single extra call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ._harness import Harness, create_group, harness, instances

CARE = """\
      busy: {metric: {prometheus: jobs}, busyAbove: 0, idleAtOrBelow: 0, idleTicks: 3}
"""


class Workers:
    """The jobs in progress per worker, and the check made after every tick."""

    def __init__(self, h: Harness, group: str) -> None:
        self.h = h
        self.group = group
        self.jobs: dict[str, float] = {}
        self.removed: list[str] = []
        self.present: set[str] = set()

    def publish(self) -> None:
        self.h.prom.series["jobs"] = dict(self.jobs)

    async def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.publish()
            await self.h.tick()
            states = await instances(self.h, self.group)
            leaving = {i for i, s in states.items() if s.startswith("Removing")} | (self.present - set(states))
            busy = {i for i, jobs in self.jobs.items() if jobs > 0}
            assert not leaving & busy, f"busy workers removed: {sorted(leaving & busy)}"
            self.removed.extend(sorted(leaving - set(self.removed)))
            self.present = {i for i, s in states.items() if not s.startswith("Removing")}


def test_scale_ins_remove_only_idle_workers_and_busy_ones_survive(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group = await create_group(h, size=6)
        h.prom.series["cpu"] = 5.0  # the policy wants 1 instance
        h.write_config(care=CARE, disable_scale_in=False)
        await h.start()
        w = Workers(h, group)
        ids = sorted(await instances(h, group))
        w.present = set(ids)
        w.jobs = dict.fromkeys(ids, 1.0)
        await w.tick(4)  # everything busy: protected, no scale-in
        assert w.removed == [] and len(await instances(h, group)) == 6
        assert h.count("SetInstancesProtection") == 1  # six ids, one batch
        assert h.sample("autoscaler_protected_instances", group=h.group) == 6.0
        keep_a, keep_b, *idle = ids
        for i in idle:
            w.jobs[i] = 0.0
        await w.tick(2)
        assert w.removed == [], "idle for fewer than idleTicks ticks: still protected"
        await h.restart()  # the idle counts start again: later, never earlier
        await w.tick(2)
        assert w.removed == []
        await w.tick(6)
        assert sorted(await instances(h, group)) == [keep_a, keep_b]
        assert sorted(w.removed) == sorted(idle)
        # keep_b flaps (one idle tick): no unprotection, no call
        calls = h.count("SetInstancesProtection")
        w.jobs[keep_b] = 0.0
        await w.tick()
        w.jobs[keep_b] = 1.0
        await w.tick(3)
        assert h.count("SetInstancesProtection") == calls
        # keep_a finishes its jobs: it goes, keep_b stays
        w.jobs[keep_a] = 0.0
        await w.tick(8)
        assert sorted(await instances(h, group)) == [keep_b]
        assert w.removed[-1] == keep_a
        reasons = [a.reason for r in h.reports if r.care is not None for a in r.care.actions
                   if a.action == "unprotect"]
        assert reasons and all("idle for 3 ticks" in r for r in reasons)
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_a_missing_busy_metric_never_lifts_a_protection(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group = await create_group(h, size=3)
        h.prom.series["cpu"] = 5.0
        h.write_config(care=CARE, disable_scale_in=False)
        await h.start()
        ids = sorted(await instances(h, group))
        h.prom.series["jobs"] = dict.fromkeys(ids, 2.0)
        await h.tick(2)
        del h.prom.series["jobs"]  # the query returns no series
        report = await h.tick(6)
        assert sorted(await instances(h, group)) == ids
        assert report.care is not None and report.care.actions[0].result == "skipped"
        assert h.count("SetInstancesProtection") == 1
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_shadow_mode_reports_protections_without_calling(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group = await create_group(h, size=3)
        h.prom.series["cpu"] = 5.0
        h.write_config(care=CARE, mode="shadow", disable_scale_in=False)
        await h.start()
        ids = sorted(await instances(h, group))
        h.prom.series["jobs"] = {ids[0]: 1.0, ids[1]: 3.0, ids[2]: 0.0}
        h.calls.clear()
        report = await h.tick()
        assert report.care is not None
        [action] = report.care.actions
        assert action.result == "shadow" and action.instance_ids == (ids[0], ids[1])
        # the policy wants 1; the shadow decision keeps the two instances it would protect
        assert report.decision.target == 2, report.decision.summary
        assert all(a.startswith("Describe") for a, _ in h.calls), sorted({a for a, _ in h.calls})
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))
