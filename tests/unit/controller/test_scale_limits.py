"""What 1,000 groups need of the loop and the state file (docs/benchmarks.md, Controller scale).

At most ``max_concurrent_ticks`` ticks run at once, so that an overload delays ticks
instead of queueing thousands of requests in the HTTP pool; records that guard no
call are committed without an fsync, and the intent before a call keeps its fsync.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from autoscaler.clock import VirtualClock
from autoscaler.controller.loop import Controller
from autoscaler.controller.state import Intent, StateStore
from autoscaler.controller.tick import TickReport
from autoscaler.observability.metrics import AutoscalerMetrics, GroupBoard

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class _CountingController(Controller):
    """A controller whose ticks only count how many run at the same time."""

    def __init__(self, state: StateStore, limit: int) -> None:
        board = GroupBoard()
        super().__init__([], clock=VirtualClock(T0), state=state, metrics=AutoscalerMetrics(CollectorRegistry(),
                         state=board), board=board, interval=timedelta(seconds=15), max_concurrent_ticks=limit)
        self.running = 0
        self.most = 0
        self.release = asyncio.Event()

    async def tick_once(self, ticker: Any) -> TickReport | None:
        self.running += 1
        self.most = max(self.most, self.running)
        await self.release.wait()
        self.running -= 1
        return None


def _synchronous(store: StateStore) -> int:
    return int(store._db.execute("PRAGMA synchronous").fetchone()[0])


def test_no_more_than_the_limit_of_ticks_run_at_once(tmp_path: Path) -> None:
    async def go() -> tuple[int, int, int]:
        controller = _CountingController(StateStore(tmp_path / "s.sqlite"), limit=3)
        jobs = [asyncio.create_task(controller._job(object())) for _ in range(10)]  # type: ignore[arg-type]
        for _ in range(20):
            await asyncio.sleep(0)
        waiting = controller.running
        controller.release.set()
        await asyncio.gather(*jobs)
        return waiting, controller.most, controller.running

    assert asyncio.run(go()) == (3, 3, 0)


def test_a_tick_limit_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_concurrent_ticks"):
        _CountingController(StateStore(tmp_path / "s.sqlite"), limit=0)


def test_memory_and_outcomes_skip_the_fsync_and_intents_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = StateStore(path)
    full = _synchronous(store)
    store.save_memory("sg-1", {"policies": {}}, T0)
    assert _synchronous(store) == full  # restored after the non-durable commit
    store.open_intent(Intent(token="t", group_id="sg-1", policy="cpu", kind="capacity", target=3, rule_ari=None,
                             window_start=T0, created_at=T0))
    store.finish_intent("t", at=T0, activity_id="asa-1")
    assert _synchronous(store) == full == 2  # FULL
    store.close()
    reopened = StateStore(path)  # what a process killed now would find
    assert reopened.load_memory("sg-1") == {"policies": {}}
    assert reopened.intent("t") is not None and reopened.intent("t").status == "done"  # type: ignore[union-attr]
