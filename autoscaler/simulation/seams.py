"""What the replay plugs into the controller's seams: its metric, its router, its ticker.

- :class:`UtilisationSource`: the replay's one signal, the observed utilisation of the
  minute that just ended, in percent; every metric reference of a policy file maps
  onto it (``--policy`` files name Prometheus queries the replay does not have).
- :class:`DirectRouter`: a :class:`~autoscaler.controller.tick.MetricRouter` that
  reads that source directly, one sample per tick shared by every reference. The
  live router runs every query as a task with a timeout (a slow Prometheus must not
  stall a tick); the replay's source answers at once and cannot hang, so the tasks
  would only cost time.
- :class:`ReplayTicker`: :class:`~autoscaler.controller.tick.GroupTicker` with one
  override, :meth:`observe`, which awaits the three Describe calls in sequence
  instead of gathering them. Against the in-process emulator nothing ever waits, so
  concurrency only adds three tasks per tick (a third of a replay's time); the calls,
  their answers and the resulting view are the same (a test compares both), and
  everything else of the tick (decide, gate, actuate, memory) is inherited unchanged.
  It also reuses the previous tick's view when the Describe calls answered the very
  same (frozen) model objects and no instance's warm-up ended in between: the view
  is a function of those models and of which instances are still warming, so
  :func:`~autoscaler.controller.snapshot.observe` would build an equal one (most
  minutes of a replay, where the in-process client reuses unchanged models).

Example::

    source = UtilisationSource()
    ticker = ReplayTicker(settings, api=api, metrics=DirectRouter(source), refs=refs,
                          evaluator=policy.decide, actuator=actuator, state=state, on_view=views.append)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from autoscaler.controller.snapshot import GroupView, observe
from autoscaler.controller.tick import GroupTicker, MetricRouter
from autoscaler.ess.model import ScalingActivity, ScalingGroup, ScalingInstance
from autoscaler.metrics import MetricSample, uniform_vector
from autoscaler.policy.model import MetricRef
from autoscaler.policy.model import MetricSource as SourceKind

__all__ = ["DirectRouter", "ReplayTicker", "UtilisationSource"]


class UtilisationSource:
    """The utilisation of the minute that just ended, in percent (set by the replay each minute).

    Like a Prometheus CPU query by instance, the sample also carries one value per
    instance that served the minute (``per_instance=True``), so a policy knows how
    many instances the utilisation was measured on, not only how many serve now.
    """

    def __init__(self, *, per_instance: bool = True) -> None:
        self.value = 0.0
        self.measured_at: datetime | None = None
        self.instances: tuple[str, ...] = ()
        self._per_instance = per_instance
        self._vector: tuple[float, tuple[str, ...], Mapping[str, float]] | None = None

    def __repr__(self) -> str:
        return f"UtilisationSource(value={self.value:.3f}, measured_at={self.measured_at})"

    def set(self, percent: float, *, at: datetime, instances: tuple[str, ...] = ()) -> None:
        """The minute that ended at ``at`` ran at ``percent`` on the serving ``instances``."""
        self.value = percent
        self.measured_at = at
        self.instances = instances

    async def query(self, ref: str, *, now: datetime) -> MetricSample:
        return self.sample()

    def sample(self) -> MetricSample:
        """The answer to any reference (the source has one signal)."""
        if self.measured_at is None:
            return MetricSample.missing("no minute has ended yet")
        per_instance = self._vector_now() if self._per_instance else None
        return MetricSample.ok(self.value, timestamp=self.measured_at, per_instance=per_instance)

    def _vector_now(self) -> Mapping[str, float]:
        """One value per serving instance, as a read-only mapping reused while neither changes
        (a 5-minute metric held on the minute grid, a group at rest: most minutes)."""
        cached = self._vector
        if cached is None or cached[0] != self.value or cached[1] is not self.instances:
            cached = self._vector = (self.value, self.instances,
                                     uniform_vector(self.instances, self.value))
        return cached[2]


class DirectRouter(MetricRouter):
    """Every reference, whatever its kind, is read from the one replay source, without tasks."""

    def __init__(self, source: UtilisationSource) -> None:
        super().__init__({kind.value: source for kind in SourceKind})
        self._source = source

    async def read(self, refs: Sequence[MetricRef], *, now: datetime) -> dict[MetricRef, MetricSample]:
        # Every reference reads the one signal, whose answer does not depend on the reference:
        # one sample for all (what a query per reference would give, without a coroutine each).
        return dict.fromkeys(refs, self._source.sample()) if refs else {}


@dataclass(frozen=True, slots=True)
class _Observed:
    """The models one view was built from, and until when their warm-up split holds."""

    group: ScalingGroup
    instances: tuple[ScalingInstance, ...]
    activities: tuple[ScalingActivity, ...]
    warm_after: datetime
    next_flip: datetime | None  # the earliest creation time after ``warm_after``
    view: GroupView

    def still(self, group: ScalingGroup, instances: Sequence[ScalingInstance],
              activities: Sequence[ScalingActivity], warm_after: datetime) -> bool:
        """True when :func:`observe` would give an equal view: the same model objects, and no
        creation time in ``(self.warm_after, warm_after]`` (``created > warm_after`` unchanged)."""
        return (len(instances) == len(self.instances) and self.still_but_instances(group, activities, warm_after)
                and all(map(operator.is_, instances, self.instances)))

    def still_but_instances(self, group: ScalingGroup, activities: Sequence[ScalingActivity],
                            warm_after: datetime) -> bool:
        """:meth:`still` for the instances known to be the same models."""
        return (group is self.group and len(activities) == len(self.activities) and self.warm_split_holds(warm_after)
                and all(map(operator.is_, activities, self.activities)))

    def warm_split_holds(self, warm_after: datetime) -> bool:
        """No creation time in ``(self.warm_after, warm_after]``: ``created > warm_after`` unchanged."""
        return self.warm_after <= warm_after and (self.next_flip is None or warm_after < self.next_flip)


def _next_flip(instances: Sequence[ScalingInstance], warm_after: datetime) -> datetime | None:
    times = [c for i in instances if (c := i.creation_time) is not None and c > warm_after]
    return min(times, default=None)


class ReplayTicker(GroupTicker):
    """:class:`GroupTicker` whose reads are sequential (see the module docstring).

    ``generation`` and ``repeat_reads`` (keywords, optional): the in-process client's
    :meth:`~autoscaler.simulation.inprocess.InProcessEss.generation` and
    :meth:`~autoscaler.simulation.inprocess.InProcessEss.repeat_reads`. While the
    generation is unchanged the client answers the very same models, so the reads are
    answered by the previous view (and counted as made) when the warm-up split holds.
    """

    _observed: _Observed | None = None
    _observed_generation: int | None = None

    def __init__(self, *args: Any, generation: Callable[[], int] | None = None,
                 repeat_reads: Callable[[str, int], bool] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._generation = generation
        self._repeat_reads = repeat_reads

    async def observe(self, now: datetime) -> GroupView:
        gid = self.settings.group_id
        warm_after = now - self.settings.warmup
        seen = self._observed
        if seen is not None and self._repeat_reads is not None and self._observed_generation is not None \
                and seen.warm_split_holds(warm_after) and self._repeat_reads(gid, self._observed_generation):
            return seen.view
        groups = await self._api.describe_scaling_groups(scaling_group_ids=[gid])
        instances = await self._api.describe_scaling_instances(scaling_group_id=gid)
        activities = await self._api.describe_scaling_activities(scaling_group_id=gid, limit=50)
        if not groups:
            raise LookupError(f"scaling group {gid} ({self.settings.name}) does not exist")
        generation = None if self._generation is None else self._generation()
        if seen is not None:
            if generation is not None and generation == self._observed_generation:
                if seen.still_but_instances(groups[0], activities, warm_after):
                    return seen.view
            elif seen.still(groups[0], instances, activities, warm_after):
                return seen.view
        view = observe(groups[0], instances, activities, now=now, warmup=self.settings.warmup)
        self._observed = _Observed(groups[0], tuple(instances), tuple(activities), warm_after,
                                   _next_flip(instances, warm_after), view)
        self._observed_generation = generation
        return view
