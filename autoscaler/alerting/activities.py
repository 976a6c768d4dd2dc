"""Scaling activities -> notification events, from what the controller already reads each tick.

The controller lists the group's recent activities (DescribeScalingActivities) in
every snapshot; :class:`ActivityWatcher` compares them with what it saw before and
returns one :class:`ScalingEvent` per change, the way ESS's own notifications fire:

- an activity first seen ``InProgress``: ``SCALE_OUT_START`` / ``SCALE_IN_START``;
- an activity that finished: ``Successful`` or ``Warning`` (partly done) ->
  ``*_SUCCESS``, ``Failed`` -> ``*_ERROR``, ``Rejected`` -> ``SCALE_REJECT``.

The direction comes from the activity description, as ESS writes it
(``Add "2" ECS instance(s)`` / ``Remove "1" ECS instance(s)``). The first look at a
group is a baseline: a restarted controller does not re-announce old activities,
but still announces the end of one that was in progress. Activities the controller
started itself (their ids passed in ``own``) carry ``origin="controller"``, the
others ``"observed"`` (schedules, the console, other tools). No I/O, no clock: the
caller passes the activities and ``now``.

Example::

    watcher = ActivityWatcher(region_id="cn-hangzhou")
    for event in watcher.observe(group_id, snapshot.activities, now=now, own=started_ids):
        notifications.post(event)
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal, Protocol

from autoscaler.alerting.notifier import NotificationType, ScalingEvent, event_type

__all__ = ["Activity", "ActivityWatcher", "direction_of"]

_ADD = re.compile(r"^\s*(Add|Attach)\b", re.IGNORECASE)
_REMOVE = re.compile(r"^\s*(Remove|Detach)\b", re.IGNORECASE)


class Activity(Protocol):
    """What the watcher reads of a scaling activity (``autoscaler.ess.model.ScalingActivity`` fits)."""

    @property
    def scaling_activity_id(self) -> str: ...
    @property
    def status_code(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def cause(self) -> str | None: ...
    @property
    def status_message(self) -> str | None: ...


def direction_of(activity: Activity) -> Literal["out", "in"] | None:
    """``out`` for an activity that adds instances, ``in`` for one that removes them."""
    text = activity.description or ""
    if _ADD.match(text):
        return "out"
    if _REMOVE.match(text):
        return "in"
    return None


class ActivityWatcher:
    """Turns successive activity listings into events; remembers ``memory`` activities per group."""

    def __init__(self, *, region_id: str | None = None, memory: int = 1000) -> None:
        if memory < 1:
            raise ValueError(f"memory: must be >= 1 (got {memory})")
        self._region = region_id
        self._memory = memory
        self._seen: dict[str, OrderedDict[str, str]] = {}

    def __repr__(self) -> str:
        return f"ActivityWatcher(groups={len(self._seen)})"

    def observe(
        self, group_id: str, activities: Sequence[Activity], *, now: datetime, own: Collection[str] = ()
    ) -> list[ScalingEvent]:
        """The events since the previous call for ``group_id`` (none at the first call: a baseline)."""
        baseline = group_id not in self._seen
        seen = self._seen.setdefault(group_id, OrderedDict())
        events: list[ScalingEvent] = []
        for activity in activities:
            status = activity.status_code or "InProgress"
            before = seen.get(activity.scaling_activity_id)
            seen[activity.scaling_activity_id] = status
            seen.move_to_end(activity.scaling_activity_id)
            if baseline or before == status:
                continue
            kind = self._kind(activity, status)
            if kind is None:
                continue
            origin: Literal["controller", "observed"] = (
                "controller" if activity.scaling_activity_id in own else "observed"
            )
            events.append(self._event(group_id, activity, kind, origin, now))
        while len(seen) > self._memory:
            seen.popitem(last=False)
        return events

    def _kind(self, activity: Activity, status: str) -> NotificationType | None:
        if status == "Rejected":
            return NotificationType.SCALE_REJECT
        direction = direction_of(activity)
        if direction is None:
            return None
        if status == "InProgress":
            return event_type(direction, "start")
        if status in ("Successful", "Warning"):  # Warning: partly done
            return event_type(direction, "success")
        if status == "Failed":
            return event_type(direction, "error")
        return None

    def _event(
        self, group_id: str, activity: Activity, kind: NotificationType, origin: Literal["controller", "observed"],
        now: datetime,
    ) -> ScalingEvent:
        failed = kind in (NotificationType.SCALE_OUT_ERROR, NotificationType.SCALE_IN_ERROR,
                          NotificationType.SCALE_REJECT)
        return ScalingEvent(
            type=kind, time=now, group_id=group_id, origin=origin, region_id=self._region,
            activity_id=activity.scaling_activity_id, cause=activity.cause or "",
            description=activity.description or "",
            error_message=activity.status_message if failed else None,
        )
