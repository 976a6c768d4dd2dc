"""Restart durability: a service reloaded from SQLite has everything it acknowledged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autoscaler.clock import VirtualClock
from autoscaler.emulator.faults import Injection, ResponseLost, ScriptedFaultPlan
from autoscaler.emulator.service import EssService
from autoscaler.emulator.store import SqliteStore, StoreError

from .conftest import Emu


def _open(clock: VirtualClock, path: Path) -> Emu:
    return Emu(EssService(clock, store=SqliteStore(path)), clock)


def test_a_restarted_service_has_every_acknowledged_change(clock: VirtualClock, tmp_path: Path) -> None:
    path = tmp_path / "ess.db"
    first = _open(clock, path)
    gid, cid = first.group(min_size=1, max_size=5, ScalingGroupName="web")
    ari = first.rule(gid, "QuantityChangeInCapacity", 2, ScalingRuleName="up")
    aid = first.execute(ari, ClientToken="tok")
    before = (first.info(gid), first.instances(gid), first.activity(aid))

    second = _open(clock, path)
    assert (second.info(gid), second.instances(gid), second.activity(aid)) == before
    assert second.execute(ari, ClientToken="tok") == aid
    second.fails("ScalingActivityInProgress", "ExecuteScalingRule", ScalingRuleAri=ari)
    clock.advance(60)
    assert second.activity(aid)["StatusCode"] == "Successful"
    assert second.info(gid)["ActiveCapacity"] == 3

    third = _open(clock, path)
    assert third.info(gid)["ActiveCapacity"] == 3
    assert third.service.next_event_time() is None
    new_gid = third.call("CreateScalingGroup", third.region, MinSize=0, MaxSize=1)["ScalingGroupId"]
    assert new_gid not in (gid, cid) and new_gid > gid  # the id sequence survives


def test_deletions_are_persisted(clock: VirtualClock, tmp_path: Path) -> None:
    path = tmp_path / "ess.db"
    first = _open(clock, path)
    gid, _ = first.group(min_size=1)
    first.call("DeleteScalingGroup", ScalingGroupId=gid, ForceDelete="true")
    second = _open(clock, path)
    assert second.call("DescribeScalingGroups", second.region)["TotalCount"] == 0
    assert second.service.state.instances == {}


def test_a_lost_response_is_still_durable(clock: VirtualClock, tmp_path: Path) -> None:
    path = tmp_path / "ess.db"
    lossy = EssService(clock, store=SqliteStore(path), faults=ScriptedFaultPlan([Injection(lose_response=True)]))
    with pytest.raises(ResponseLost):
        lossy.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou", "MinSize": "0", "MaxSize": "1"})
    assert _open(clock, path).call("DescribeScalingGroups", {"RegionId": "cn-hangzhou"})["TotalCount"] == 1


def test_events_due_while_stopped_apply_on_the_first_call_after_restart(clock: VirtualClock, tmp_path: Path) -> None:
    path = tmp_path / "ess.db"
    first = _open(clock, path)
    gid, _ = first.group(enable=False, min_size=2)
    cid = first.call("DescribeScalingConfigurations", first.region)["ScalingConfigurations"][
        "ScalingConfiguration"][0]["ScalingConfigurationId"]
    first.call("EnableScalingGroup", ScalingGroupId=gid, ActiveScalingConfigurationId=cid)
    clock.advance(3600)
    second = _open(clock, path)
    assert second.info(gid)["ActiveCapacity"] == 2


def test_an_empty_store_starts_an_empty_service(clock: VirtualClock, tmp_path: Path) -> None:
    emu = _open(clock, tmp_path / "ess.db")
    assert emu.service.state.groups == {}


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ess.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteStore(path)


def test_the_store_says_where_it_is(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ess.db")
    assert "ess.db" in repr(store)
    store.close()
