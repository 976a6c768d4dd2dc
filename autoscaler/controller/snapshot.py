"""From what ESS and the metric sources say to the snapshot a policy evaluates.

Definitions (DESIGN.md, "The controller's decisions"):

- *serving*: InService, not standby, past warm-up. Warm-up is counted from the
  instance's CreationTime (the only time ESS reports for it), so an instance whose
  boot takes longer than the warm-up still counts as warming while it is Pending;
- *warming*: Pending, or InService but still inside warm-up: capacity already on its
  way, whose metrics are left out;
- *standby* and *protected* instances count toward TotalCapacity; standby ones serve
  nothing, protected ones serve but are never chosen by a scale-in.

The metric layer's samples carry a status; only OK and STALE samples reach a policy
(STALE ones keep their old timestamp, so the policy sees them as stale and never
scales in on them); MISSING and ERROR samples are left out, which the policies
treat as missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from autoscaler.ess.model import ScalingActivity, ScalingGroup, ScalingInstance
from autoscaler.metrics import MetricSample as SourceSample
from autoscaler.metrics import SampleStatus
from autoscaler.policy.model import GroupCapacity, GroupSnapshot, MetricRef, MetricSample

__all__ = ["GroupView", "observe", "to_snapshot"]

_IN_PROGRESS = "InProgress"
_OK, _STALE = SampleStatus.OK, SampleStatus.STALE  # bound once: read per sample per tick


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupView:
    """The group as observed at one tick, before metrics."""

    group: ScalingGroup
    capacity: GroupCapacity
    not_serving: frozenset[str]
    serving_ids: tuple[str, ...]
    activity_in_progress: bool
    last_activity_end: datetime | None
    pending: int
    activities: tuple[ScalingActivity, ...] = ()


def observe(
    group: ScalingGroup,
    instances: Sequence[ScalingInstance],
    activities: Sequence[ScalingActivity],
    *,
    now: datetime,
    warmup: timedelta,
) -> GroupView:
    """Count the group's instances by what they do for the workload now."""
    serving: list[str] = []
    not_serving: set[str] = set()
    warming = standby = protected = pending = 0
    # Warming while ``now < created + warmup``, i.e. ``created > now - warmup``: one subtraction per tick.
    warm_after = now - warmup
    for inst in instances:
        state = inst.lifecycle_state
        if state != "InService":  # the common case first; the others as they come
            state = state or ""
            if state == "Standby":
                standby += 1
                not_serving.add(inst.instance_id)
                continue
            if state.startswith("Pending"):
                pending += 1
                warming += 1
                not_serving.add(inst.instance_id)
                continue
            if state != "Protected":
                # Removing and wait states serve nothing and are on their way out.
                not_serving.add(inst.instance_id)
                continue
            protected += 1
        created = inst.creation_time
        if created is not None and created > warm_after:
            warming += 1
            not_serving.add(inst.instance_id)
        else:
            serving.append(inst.instance_id)
    total = max(group.total_capacity, len(instances))
    capacity = GroupCapacity(
        total=total,
        serving=len(serving),
        warming=warming,
        standby=standby,
        protected=protected,
        min_size=group.min_size,
        max_size=group.max_size,
        default_cooldown=group.default_cooldown if group.default_cooldown is not None else 300,
    )
    in_progress = any(a.status_code == _IN_PROGRESS for a in activities)
    ends = [a.end_time for a in activities if a.end_time is not None and a.status_code != _IN_PROGRESS]
    return GroupView(
        group=group,
        capacity=capacity,
        not_serving=frozenset(not_serving),
        serving_ids=tuple(serving),
        activity_in_progress=in_progress,
        last_activity_end=max(ends) if ends else None,
        pending=pending,
        activities=tuple(activities),
    )


def to_snapshot(
    view: GroupView,
    samples: Mapping[MetricRef, SourceSample],
    *,
    now: datetime,
    cooldown_until: datetime | None = None,
    rule_cooldowns: Mapping[str, int | None] | None = None,
) -> GroupSnapshot:
    """The policy snapshot: usable samples only, converted to the policy's value type."""
    metrics: dict[MetricRef, MetricSample] = {}
    for ref, sample in samples.items():
        status, value = sample.status, sample.value
        if (status is not _OK and status is not _STALE) or value is None:
            continue
        # (timestamp, value, per_instance): the source sample's mapping is a read-only view
        # of its own copy, shared, not copied.
        metrics[ref] = MetricSample(sample.timestamp or now, value, sample.per_instance or None)
    return GroupSnapshot(
        now=now,
        capacity=view.capacity,
        metrics=metrics,
        not_serving=view.not_serving,
        rule_cooldowns=None if rule_cooldowns is None else dict(rule_cooldowns),
        cooldown_until=cooldown_until,
    )
