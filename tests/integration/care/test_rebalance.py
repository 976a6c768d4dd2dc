"""Zone balance against ess-local over HTTP: one RebalanceInstances, not one per tick.

A MultiAZPolicy BALANCE group over two zones gets four instances attached in one
zone (5 against 1). The controller reports the imbalance, calls RebalanceInstances
once, waits while the activity runs, and stops calling when the zones are even,
also across a restart in the middle. A PRIORITY group is never rebalanced.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from ._harness import ZONES, Harness, create_group, harness

CARE = """\
      rebalance: {minIntervalSeconds: 60, zones: [cn-hangzhou-g, cn-hangzhou-h]}
"""


async def _unbalance(h: Harness, group: str) -> None:
    created = h.admin("instances", count=4, zone="cn-hangzhou-g", vswitch_id="vsw-g")["InstanceIds"]
    async with h.client() as ess:
        await ess.attach_instances(group, created)


async def _zones(h: Harness, group: str) -> Counter[str]:
    async with h.client() as ess:
        found = await ess.describe_scaling_instances(scaling_group_id=group)
    return Counter(i.zone_id or "" for i in found)


def test_an_imbalanced_balance_group_is_rebalanced_once_not_repeatedly(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group = await create_group(h, size=2, max_size=10, multi_az="BALANCE")
        await _unbalance(h, group)
        h.clock.advance(timedelta(seconds=20))
        assert sorted((await _zones(h, group)).values()) == [1, 5]
        h.prom.series["cpu"] = 50.0
        h.write_config(care=CARE)
        await h.start()
        first = await h.tick()
        assert first.care is not None and first.care.zone_imbalance == 4
        assert h.count("RebalanceInstances") == 1
        await h.tick(4)
        await h.restart()
        await h.tick(40)  # 225 s: well past the minimum interval
        assert h.count("RebalanceInstances") == 1
        zones = await _zones(h, group)
        assert set(zones) == set(ZONES.values()) and max(zones.values()) - min(zones.values()) <= 1, zones
        assert h.sample("autoscaler_zone_imbalance", group=h.group) == 0.0
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))


def test_a_group_that_is_not_balance_is_never_rebalanced(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        group = await create_group(h, size=2, max_size=10, multi_az="PRIORITY")
        await _unbalance(h, group)
        h.clock.advance(timedelta(seconds=20))
        h.prom.series["cpu"] = 50.0
        h.write_config(care=CARE)
        await h.start()
        report = await h.tick(5)
        assert report.care is not None and report.care.zone_imbalance == 6  # PRIORITY: all in the first zone
        assert h.count("RebalanceInstances") == 0
        assert h.sample("autoscaler_zone_imbalance", group=h.group) == 6.0
        await h.stop()

    with harness(tmp_path) as h:
        asyncio.run(scenario(h))
