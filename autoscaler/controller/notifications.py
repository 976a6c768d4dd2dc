"""Outbound notifications from the tick reports: activities started or observed, and failures.

Every tick already reads the group's recent activities; the
:class:`~autoscaler.alerting.ActivityWatcher` turns the changes between two reads
into events (the first read of a group is a baseline, so a restart does not announce
old activities again), tagged ``controller`` when the controller started the
activity, ``observed`` otherwise (a schedule, an operator, an alarm task). A write
the controller could not carry out (an ESS error after retries) is an ``*_ERROR``
event of its own. Events go to a bounded queue that posts them in the background:
a slow webhook never delays a tick.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from autoscaler.alerting import ActivityWatcher, NotificationQueue
from autoscaler.alerting.notifier import ScalingEvent, event_type
from autoscaler.controller.actuator import Result
from autoscaler.controller.tick import TickReport
from autoscaler.policy.model import Direction

__all__ = ["NotificationSink"]


class NotificationSink:
    """A report sink of the controller that posts notification events."""

    def __init__(self, queue: NotificationQueue, *, region_id: str, own_memory: int = 1000) -> None:
        self._queue = queue
        self._watcher = ActivityWatcher(region_id=region_id)
        self._own: deque[str] = deque(maxlen=own_memory)
        self._region = region_id

    def __call__(self, report: TickReport) -> None:
        if report.outcome.activity_id is not None:
            self._own.append(report.outcome.activity_id)
        own = set(self._own)
        for event in self._watcher.observe(report.group_id, report.view.activities, now=report.now, own=own):
            self._queue.post(event)
        decision = report.decision
        if report.outcome.result is Result.FAILED and decision.direction is not Direction.HOLD:
            direction: Literal["out", "in"] = "out" if decision.direction is Direction.OUT else "in"
            self._queue.post(ScalingEvent(
                type=event_type(direction, "error"), time=report.now, group_id=report.group_id,
                origin="controller", region_id=self._region, group_name=report.view.group.scaling_group_name,
                policy=decision.policy, cause=decision.summary, capacity_before=decision.total,
                capacity_after=decision.target, error_code=report.outcome.error,
            ))
