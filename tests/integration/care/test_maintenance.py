"""Maintenance standby against ess-local over HTTP: standby, redeploy, back, capacity kept.

A three-instance group whose policy needs all three serving gets a scheduled
``SystemMaintenance.Redeploy`` on one instance. The controller first scales out
(the others alone would not cover the need), puts the instance in standby only once
the new one serves, redeploys it, follows the ECS task and brings it back; serving
capacity never drops below three. A failed redeploy is reported, counted and leaves
the instance in standby; a restart in the middle of a redeploy resumes it without
sending any step twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from autoscaler.controller.care_state import CareStateStore

from ._harness import Harness, create_group, harness, instances

CARE = """\
      maintenance: {maxConcurrent: 1, pollIntervalSeconds: 0}
"""


async def _setup(h: Harness) -> tuple[str, str]:
    group = await create_group(h, size=3)
    h.prom.series["cpu"] = 50.0  # exactly the target: the policy holds at 3 serving
    h.write_config(care=CARE)
    await h.start()
    target = sorted(await instances(h, group))[0]
    h.admin("events", instance_id=target, code="SystemMaintenance.Redeploy", not_before=3600)
    return group, target


def _serving(h: Harness) -> list[int]:
    return [r.view.capacity.serving for r in h.reports]


def test_a_maintenance_event_leads_to_standby_redeploy_and_back_with_capacity_kept(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group, target = await _setup(h)
        first = await h.tick()
        assert first.decision.target == 4 and first.decision.policy == "maintenance", first.decision.summary
        assert (await instances(h, group))[target] == "InService"  # not in standby before the scale-out
        for _ in range(60):
            await h.tick()
            if h.count("ExitStandby"):
                break
        await h.tick()
        states = await instances(h, group)
        assert states[target] == "InService"
        assert (h.count("EnterStandby"), h.count("RedeployInstance"), h.count("ExitStandby")) == (1, 1, 1)
        # standby only after the extra instance served: never fewer than 3 serving
        assert min(_serving(h)) >= 3, _serving(h)
        assert max(r.view.capacity.standby for r in h.reports) == 1
        assert [a for a, _ in h.calls if a in ("ExecuteScalingRule", "EnterStandby")][:2] == [
            "ExecuteScalingRule", "EnterStandby"]
        redeploy = next(p for a, p in h.calls if a == "RedeployInstance")
        assert redeploy["InstanceId"] == target and redeploy.get("ForceStop", "false") == "false"
        assert h.sample("autoscaler_instances_in_maintenance", group=h.group) == 0.0
        assert h.sample("autoscaler_maintenance_failures_total", group=h.group, step="redeploy_task") is None
        in_maintenance = [r.care.in_maintenance for r in h.reports if r.care is not None]
        assert max(v or 0 for v in in_maintenance) == 1
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_a_failed_redeploy_is_reported_and_leaves_the_instance_in_standby(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group, target = await _setup(h)
        h.admin("instance", instance_id=target, fail_next_redeploy=True)
        for _ in range(60):
            await h.tick()
        assert (await instances(h, group))[target] == "Standby"
        assert (h.count("EnterStandby"), h.count("RedeployInstance"), h.count("ExitStandby")) == (1, 1, 0)
        assert h.sample("autoscaler_maintenance_failures_total", group=h.group, step="redeploy_task") == 1.0
        assert h.sample("autoscaler_instances_in_maintenance", group=h.group) == 1.0
        failed = [a for r in h.reports if r.care is not None for a in r.care.actions if a.result == "failed"]
        assert len(failed) == 1 and "left in standby" in failed[0].reason
        assert min(_serving(h)) >= 3, _serving(h)  # the failed instance keeps its replacement
        await h.stop()
        store = CareStateStore(tmp_path / "state.sqlite")
        [record] = store.records(group)
        assert record.phase == "failed" and record.instance_id == target
        store.close()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_a_restart_in_the_middle_of_a_redeploy_resumes_without_repeating_a_step(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group, target = await _setup(h)
        for _ in range(40):
            await h.tick()
            if h.count("RedeployInstance"):
                break
        assert h.count("RedeployInstance") == 1
        await h.tick(3)
        await h.restart()  # the redeploy is still Processing
        for _ in range(60):
            await h.tick()
            if h.count("ExitStandby"):
                break
        await h.tick(2)
        assert (await instances(h, group))[target] == "InService"
        assert (h.count("EnterStandby"), h.count("RedeployInstance"), h.count("ExitStandby")) == (1, 1, 1)
        assert min(_serving(h)) >= 3, _serving(h)
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_shadow_mode_reports_the_maintenance_and_makes_no_write_call(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group = await create_group(h, size=3)
        h.prom.series["cpu"] = 50.0
        h.write_config(care=CARE, mode="shadow")
        await h.start()
        target = sorted(await instances(h, group))[0]
        h.admin("events", instance_id=target, code="SystemMaintenance.Redeploy", not_before=3600)
        h.calls.clear()
        report = await h.tick()
        await h.tick(3)
        assert report.care is not None and report.care.floor == 4
        assert report.decision.target == 4  # the shadow decision shows the scale-out first
        reported = [a.action for r in h.reports if r.care is not None for a in r.care.actions
                    if a.result in ("executed", "shadow")]
        assert reported == ["detect"]  # reported once, not at every tick
        assert all(a.startswith("Describe") for a, _ in h.calls), sorted({a for a, _ in h.calls})
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


async def _tick_until(h: Harness, action: str, limit: int = 40) -> None:
    for _ in range(limit):
        await h.tick()
        if h.count(action):
            return
    raise AssertionError(f"{action} was never called")


def test_a_task_id_lost_in_a_restart_is_reported_not_redeployed_twice(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group, target = await _setup(h)
        await _tick_until(h, "RedeployInstance")
        assert h.rt is not None and h.rt.care_state is not None
        [record] = h.rt.care_state.active(group)
        # as if killed after RedeployInstance answered and before its task id was journaled
        h.rt.care_state.save(replace(record, task_id=None))
        await h.restart()
        report = await h.tick()
        await h.tick(30)
        assert h.count("RedeployInstance") == 1 and h.count("ExitStandby") == 0
        assert report.care is not None and "task id was lost" in report.care.summary
        assert h.sample("autoscaler_maintenance_failures_total", group=h.group, step="redeploy") == 1.0
        assert (await instances(h, group))[target] == "Standby"
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_a_redeploy_journaled_but_never_sent_is_sent_once_after_a_restart(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group, target = await _setup(h)
        await _tick_until(h, "EnterStandby")
        assert h.rt is not None and h.rt.care_state is not None
        [record] = h.rt.care_state.active(group)
        assert record.phase == "standby"
        # as if killed after journaling "redeploying" and before the call left
        h.rt.care_state.save(replace(record, phase="redeploying", task_id=None))
        await h.restart()
        await _tick_until(h, "ExitStandby", limit=60)
        assert (h.count("EnterStandby"), h.count("RedeployInstance"), h.count("ExitStandby")) == (1, 1, 1)
        assert (await instances(h, group))[target] == "InService"
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_at_most_max_concurrent_instances_are_in_maintenance_at_once(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group, first = await _setup(h)
        second = sorted(await instances(h, group))[1]
        h.admin("events", instance_id=second, code="SystemMaintenance.Reboot", not_before=3600)
        for _ in range(120):
            await h.tick()
            if h.count("ExitStandby") == 2:
                break
        await h.tick()
        assert (h.count("EnterStandby"), h.count("RedeployInstance"), h.count("ExitStandby")) == (2, 2, 2)
        assert max(r.view.capacity.standby for r in h.reports) == 1  # one at a time
        assert min(_serving(h)) >= 3, _serving(h)
        states = await instances(h, group)
        assert states[first] == states[second] == "InService"
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))
