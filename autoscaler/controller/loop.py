"""The control loop: apscheduler drives one tick per group per interval.

At start the loop *reconciles*: intents left open by a previous process (killed
between committing an intent and learning its outcome) are finished with their own
ClientToken if they are recent (ESS returns the activity already started, or starts
it once), and abandoned if older than two intervals (the group has moved on; the
next tick decides afresh). Cooldowns need no reconciliation of their own: the
ground truth is the group's activity history, read at every tick.

Each group has one job (``max_instances=1``, ``coalesce=True``): a slow tick delays
that group's next one instead of stacking up. The first ticks of the groups are spread
evenly over one interval (group i of N at ``start + i * interval / N``), so that a
thousand groups cost a steady trickle of calls rather than one burst per interval, and
at most ``max_concurrent_ticks`` (32) ticks run at once: past that a tick waits for a
slot, so an overload delays ticks instead of queueing thousands of requests in the
HTTP pool (32 ticks of three concurrent reads fit httpx's 100 connections).
SIGTERM sets the stop event; the loop stops the scheduler, waits for the ticks in
flight (so a call in flight finishes and its outcome is journaled), and returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from autoscaler.clock import Clock
from autoscaler.controller.actuator import Result
from autoscaler.controller.state import StateStore
from autoscaler.controller.tick import GroupTicker, TickReport
from autoscaler.metrics import SampleStatus
from autoscaler.observability.metrics import (
    AutoscalerMetrics,
    DecisionDirection,
    DecisionResult,
    GroupBoard,
    GroupState,
)
from autoscaler.policy.model import Direction

__all__ = ["Controller"]

log = logging.getLogger("autoscaler.controller")

ReportSink = Callable[[TickReport], None]


class Controller:
    """Owns the tickers of every group, the scheduler and the telemetry."""

    def __init__(
        self,
        tickers: Sequence[GroupTicker],
        *,
        clock: Clock,
        state: StateStore,
        metrics: AutoscalerMetrics,
        board: GroupBoard,
        interval: timedelta,
        sinks: Sequence[ReportSink] = (),
        max_concurrent_ticks: int = 32,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if max_concurrent_ticks < 1:
            raise ValueError(f"max_concurrent_ticks: must be >= 1 (got {max_concurrent_ticks})")
        self.tickers = list(tickers)
        self._max_concurrent = max_concurrent_ticks
        self._slots: asyncio.Semaphore | None = None
        self._stopping = False
        self._clock = clock
        self._state = state
        self._metrics = metrics
        self._board = board
        self._interval = interval
        self._sinks = list(sinks)
        self.last_success: float | None = None
        self._in_flight: set[asyncio.Task[TickReport | None]] = set()
        self._prepare = prepare

    def add_sink(self, sink: ReportSink) -> None:
        """Also hand every tick report to ``sink`` (live view, readiness, notifications)."""
        self._sinks.append(sink)

    async def reconcile(self) -> None:
        """Close the intents a previous process left open, without sending anything.

        An open intent's outcome is unknown: its call may or may not have reached ESS.
        It is not replayed here, because a replay would bypass the tick's gates (an
        activity in progress, the cooldown after the last one). The next tick observes
        the group as it is: if the call went through, the activity is there; if the
        decision is still due in the same window, the tick sends it again with the same
        ClientToken, so ESS answers with the original activity instead of a second one.
        """
        now = self._clock.now()
        for intent in self._state.open_intents():
            self._state.finish_intent(intent.token, at=now, error_code="Unconfirmed")
            log.info("group %s: an intent left open by the previous process (target %s) is left to the next tick",
                     intent.group_id, intent.target)

    async def tick_once(self, ticker: GroupTicker) -> TickReport | None:
        """One tick of one group, with telemetry; errors are logged, never raised."""
        started = self._clock.monotonic()
        name = ticker.settings.name
        try:
            report = await ticker.tick(self._clock.now())
        except Exception as exc:
            log.error("group %s: tick failed: %s: %s", name, type(exc).__name__, exc)
            self._metrics.observe_tick(group=name, seconds=self._clock.monotonic() - started)
            return None
        self._metrics.observe_tick(group=name, seconds=self._clock.monotonic() - started)
        self._publish(ticker, report)
        for sink in self._sinks:
            sink(report)
        return report

    def _publish(self, ticker: GroupTicker, report: TickReport) -> None:
        name = ticker.settings.name
        decision = report.decision
        now_ts = report.now.timestamp()
        self.last_success = now_ts
        if decision.direction is not Direction.HOLD and decision.policy is not None:
            result: DecisionResult = "suppressed"
            if report.outcome.result is Result.EXECUTED:
                result = "executed"
            elif report.outcome.result is Result.SHADOW:
                result = "shadow"
            direction: DecisionDirection = "out" if decision.direction is Direction.OUT else "in"
            self._metrics.decision(group=name, policy=decision.policy, direction=direction, result=result)
        up: dict[str, bool] = {}
        for ref, sample in report.samples.items():
            up[ref.source.value] = up.get(ref.source.value, True) and sample.status is not SampleStatus.ERROR
        for source, ok in up.items():
            self._metrics.metric_source_up(source=source, up=ok)
        cap = report.view.capacity
        values = {}
        for proposal in decision.proposals:
            for m in proposal.metrics:
                if m.value == m.value:  # not NaN
                    values[(proposal.policy, m.metric)] = m.value
        care = report.care  # instance care (docs/instance-care.md): gauges, failure counter, reasons
        for step in care.failures if care is not None else ():
            self._metrics.maintenance_failure(group=name, step=step)
        if care is not None and care.actions:
            acted = any(a.result in ("executed", "shadow", "failed") for a in care.actions)
            log.log(logging.INFO if acted else logging.DEBUG, "group %s: care: %s", name, care.summary,
                    extra={"group": name, "care": care.summary})
        self._board.publish(GroupState(
            group=name,
            desired_capacity=decision.target if decision.target is not None else cap.total,
            total=cap.total, serving=cap.serving, pending=report.view.pending, standby=cap.standby,
            protected=care.protected if care is not None and care.protected is not None else cap.protected,
            in_maintenance=care.in_maintenance or 0 if care is not None else 0,
            zone_imbalance=care.zone_imbalance or 0 if care is not None else 0,
            last_successful_tick=now_ts, metric_values=values,
        ))
        level = logging.INFO if decision.direction is not Direction.HOLD else logging.DEBUG
        log.log(level, "group %s: %s -> %s", name, decision.summary, report.outcome.result.value,
                extra={"group": name, "decision": decision.to_dict(), "result": report.outcome.result.value,
                       "gate": report.gate, "activity_id": report.outcome.activity_id})

    async def _job(self, ticker: GroupTicker) -> None:
        # The tick runs in a task of our own, shielded from the scheduler's
        # cancellation at shutdown, so that a call in flight finishes and is journaled.
        task = asyncio.get_running_loop().create_task(self._limited(ticker))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.shield(task)

    async def _limited(self, ticker: GroupTicker) -> TickReport | None:
        """``tick_once`` in one of the concurrent slots; a tick still waiting at shutdown is dropped."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_concurrent)
        async with self._slots:
            if self._stopping:
                return None
            return await self.tick_once(ticker)

    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile, then tick every group every interval until ``stop`` is set."""
        self._stopping = False
        await self.reconcile()
        if self._prepare is not None:
            await self._prepare()
        scheduler = AsyncIOScheduler(timezone="UTC")
        seconds = self._interval.total_seconds()
        start = self._clock.now()
        for index, ticker in enumerate(self.tickers):
            # The groups' first ticks are spread evenly over one interval: N ticks due at
            # the same instant would queue behind each other (docs/benchmarks.md).
            scheduler.add_job(self._job, "interval", seconds=seconds, args=[ticker],
                              id=f"tick:{ticker.settings.group_id}", max_instances=1, coalesce=True,
                              next_run_time=start + self._interval * index / len(self.tickers),
                              misfire_grace_time=max(1, int(seconds)))
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.pause()
            self._stopping = True
            if self._in_flight:
                await asyncio.wait(set(self._in_flight), timeout=30)
            for _ in range(3):
                await asyncio.sleep(0)  # let the scheduler's job wrappers see their ticks end
            scheduler.shutdown(wait=False)
