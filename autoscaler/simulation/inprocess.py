"""The controller's :class:`~autoscaler.controller.ports.EssApi` over an emulator in the same process.

What: ``autoscaler simulate`` runs the controller's own tick code against
:class:`~autoscaler.emulator.service.EssService` on a virtual clock, without HTTP,
signing or JSON, so that a month of one-minute ticks replays in seconds
(docs/benchmarks.md, "Replay speed").

Why it is faithful: every call goes through the service, which applies the due
events first and runs its own action handlers, so clamping, percent rounding,
``ScalingActivityInProgress``, cooldowns and the removal order are the emulator's,
never re-implemented here. There are two paths:

- the *wire path* (any call with filters this module does not special-case, and
  every write): the flat wire parameters go to :meth:`EssService.handle`, exactly as
  the HTTP front would pass them, and the answer is parsed with the wire models'
  ``from_wire``, as :class:`~autoscaler.ess.client.EssClient` does;
- the *fast path* for the three reads of every tick (a group by id, its instances,
  its activities): the service's typed reads (``scaling_group``,
  ``scaling_activities``) and its instance model (``instance_model``), which advance
  the service and build the same models the Describe handlers render, without the
  wire round trip. An instance's model is rebuilt only when its emulator record
  changed (any field: the cache key is the whole record), because a group of 40
  instances otherwise spends most of a replay building identical frozen models.

Activities: ``describe_scaling_activities`` for a group answers at most the newest
``activity_page`` activities (50 by default, the API's largest page; the tick asks
for ``limit=50``, the smaller wins). The tick only looks for an activity in progress
and the latest end time, and ESS runs one activity at a time per group, so both are
always the newest; the replay reads 2. ``activity_page=None`` reads through the wire
path, every page, as ``EssClient`` does (the same replay: tested).

Example::

    service = EssService(VirtualClock(start), settings=EmulatorSettings(launch_seconds=180))
    api = InProcessEss(service)
    groups = await api.describe_scaling_groups(scaling_group_ids=[group_id])
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from autoscaler.clock import ensure_utc
from autoscaler.emulator.describe import INSTANCE_MODEL_FIELDS, instance_model
from autoscaler.emulator.service import EssService
from autoscaler.ess import NotFoundError
from autoscaler.ess.client import RuleRef
from autoscaler.ess.model import ScalingActivity, ScalingGroup, ScalingInstance, ScalingRule
from autoscaler.ess.wire import flatten

__all__ = ["DEFAULT_ACTIVITY_PAGE", "InProcessEss"]

DEFAULT_ACTIVITY_PAGE = 50
"""The largest page DescribeScalingActivities answers (PageSize <= 50)."""

_PAGE_SIZE = 50
_TICK_READS = ("DescribeScalingGroups", "DescribeScalingInstances", "DescribeScalingActivities")
_MODEL_KEY = operator.attrgetter(*INSTANCE_MODEL_FIELDS)

M = TypeVar("M", ScalingGroup, ScalingInstance, ScalingActivity, ScalingRule)


def _clean(params: Mapping[str, object]) -> dict[str, str]:
    """Flatten as the client does (``None`` and empty lists are left out)."""
    return flatten({k: v for k, v in params.items() if v is not None})


class InProcessEss:
    """An :class:`~autoscaler.controller.ports.EssApi` calling an :class:`EssService` directly.

    ``activity_page``: how many of a group's newest activities a describe answers
    (None: all of them, as ``EssClient`` pages through).

    ``exclusive``: this object is the service's only client (a replay owns its
    emulator). The state then changes only through this object's calls and through
    the events the service applies when it advances, so a group's and its instances'
    models are reused until one of those happens (neither model depends on the time).
    Never set it when anything else (the HTTP front, a test) also uses the service.
    """

    def __init__(
        self, service: EssService, *, activity_page: int | None = DEFAULT_ACTIVITY_PAGE, exclusive: bool = False
    ) -> None:
        if activity_page is not None and activity_page < 1:
            raise ValueError(f"activity_page: must be >= 1 or None (got {activity_page})")
        self.service = service
        self._clock = service.clock
        self._activity_page = activity_page
        self._exclusive = exclusive
        self._generation = 0
        self._settled_at: datetime | None = None
        self._history = timedelta(days=service.settings.activity_history_days)
        self._groups: dict[str, tuple[int, ScalingGroup]] = {}
        self._lists: dict[str, tuple[int, list[ScalingInstance]]] = {}
        self._calls: dict[str, int] = {}
        self._repeats = 0  # ticks whose three reads were answered by repeat_reads
        self._instances: dict[str, tuple[tuple[Any, ...], ScalingInstance]] = {}
        # (group, page) -> (generation, the history cut used, the oldest start listed, the models)
        self._newest: dict[tuple[str, int], tuple[int, datetime, datetime | None, list[ScalingActivity]]] = {}

    def __repr__(self) -> str:
        return f"InProcessEss({self.service!r})"

    @property
    def calls(self) -> dict[str, int]:
        """How many times each action was called (for reports and tests; a copy)."""
        calls = dict(self._calls)
        if self._repeats:
            for action in _TICK_READS:
                calls[action] = calls.get(action, 0) + self._repeats
        return calls

    def _count(self, action: str) -> None:
        self._calls[action] = self._calls.get(action, 0) + 1

    def call(self, action: str, params: Mapping[str, object]) -> dict[str, Any]:
        """One action through the service's wire contract (raises the documented EssError)."""
        self._count(action)
        try:
            return self.service.handle(action, _clean(params))
        finally:
            self._generation += 1
            self._settled_at = None

    def generation(self) -> int:
        """Advance the service to now; a number that changes whenever the group state may have
        (with ``exclusive``; without it, on every call), for callers that cache what they derive."""
        return self._current()

    def _current(self) -> int:
        """Advance the service to now; the generation changes whenever the state may have.

        With ``exclusive``, a second advance to the same time with no call in between
        has nothing to run (the first ran every event due by then), so it is skipped.
        """
        now = self._clock.now()
        if now == self._settled_at and self._exclusive:
            return self._generation
        if self.service.advance(now) or not self._exclusive:
            self._generation += 1
        self._settled_at = now
        return self._generation

    def _describe(self, cls: type[M], action: str, params: Mapping[str, object], outer: str, inner: str) -> list[M]:
        out: list[M] = []
        page = 1
        while True:
            body = self.call(action, {**params, "PageNumber": page, "PageSize": _PAGE_SIZE})
            wrapped = body.get(outer) or {}
            items = wrapped.get(inner, []) if isinstance(wrapped, dict) else []
            out.extend(cls.from_wire(item, path=f"{outer}.{inner}") for item in items)
            total = int(body.get("TotalCount", len(out)) or 0)
            if not items or len(out) >= total:
                return out
            page += 1

    def peek(self, group_id: str) -> tuple[ScalingGroup, list[ScalingInstance]]:
        """The group and its instances now, not counted in :attr:`calls` (a replay's own bookkeeping)."""
        generation = self._current()
        cached = self._groups.get(group_id)
        if cached is None or cached[0] != generation:
            cached = self._groups[group_id] = (generation, self.service.scaling_group(group_id))
        return cached[1], self._group_instances(group_id)

    # -- the EssApi protocol -------------------------------------------------------------

    async def describe_scaling_groups(
        self, *, scaling_group_ids: Sequence[str] = (), names: Sequence[str] = ()
    ) -> list[ScalingGroup]:
        if len(scaling_group_ids) == 1 and not names:
            self._count("DescribeScalingGroups")
            group_id, generation = scaling_group_ids[0], self._current()
            cached = self._groups.get(group_id)
            if cached is not None and cached[0] == generation:
                return [cached[1]]
            try:
                group = self.service.scaling_group(group_id)
            except NotFoundError:
                return []
            self._groups[group_id] = (generation, group)
            return [group]
        params = {"RegionId": self.service.settings.region, "ScalingGroupId": list(scaling_group_ids),
                  "ScalingGroupName": list(names)}
        return self._describe(ScalingGroup, "DescribeScalingGroups", params, "ScalingGroups", "ScalingGroup")

    async def describe_scaling_instances(
        self, *, scaling_group_id: str | None = None, instance_ids: Sequence[str] = (),
        lifecycle_state: str | None = None, health_status: str | None = None, creation_type: str | None = None,
    ) -> list[ScalingInstance]:
        filtered = instance_ids or lifecycle_state or health_status or creation_type
        if scaling_group_id is not None and not filtered:
            self._count("DescribeScalingInstances")
            return self._group_instances(scaling_group_id)
        params = {"RegionId": self.service.settings.region, "ScalingGroupId": scaling_group_id,
                  "InstanceId": list(instance_ids), "LifecycleState": lifecycle_state,
                  "HealthStatus": health_status, "CreationType": creation_type}
        return self._describe(ScalingInstance, "DescribeScalingInstances", params, "ScalingInstances",
                              "ScalingInstance")

    def _group_instances(self, group_id: str) -> list[ScalingInstance]:
        """``service.scaling_instances(group_id)``, reusing the models of unchanged records."""
        generation = self._current()
        listed = self._lists.get(group_id)
        if listed is not None and listed[0] == generation:
            return list(listed[1])
        out = self._build_instances(group_id)
        self._lists[group_id] = (generation, out)
        return list(out)

    def _build_instances(self, group_id: str) -> list[ScalingInstance]:
        service = self.service
        cache = self._instances
        out: list[ScalingInstance] = []
        members = service.state.group_members(group_id)
        if not members:
            return []
        key_of = _MODEL_KEY  # the fields the model reads: any change rebuilds it
        for record in members:
            key = key_of(record)
            hit = cache.get(record.instance_id)
            if hit is None or hit[0] != key:
                hit = cache[record.instance_id] = (key, instance_model(record))
            out.append(hit[1])
        if len(cache) > 4 * len(out) + 64:  # forget instances that left the group
            keep = {m.instance_id for m in out}
            self._instances = {k: v for k, v in cache.items() if k in keep}
        return out

    async def describe_scaling_activities(
        self, *, scaling_group_id: str | None = None, activity_ids: Sequence[str] = (),
        status_code: str | None = None, limit: int | None = None,
    ) -> list[ScalingActivity]:
        if scaling_group_id is not None and not activity_ids and status_code is None \
                and self._activity_page is not None:
            self._count("DescribeScalingActivities")
            page = self._activity_page if limit is None else min(limit, self._activity_page)
            return self._newest_activities(scaling_group_id, page)
        params = {"RegionId": self.service.settings.region, "ScalingGroupId": scaling_group_id,
                  "ScalingActivityId": list(activity_ids), "StatusCode": status_code}
        found = self._describe(ScalingActivity, "DescribeScalingActivities", params, "ScalingActivities",
                               "ScalingActivity")
        return found if limit is None else found[:limit]

    def repeat_reads(self, group_id: str, generation: int) -> bool:
        """True when a tick's three reads of the group (the group, its instances, its newest
        activities) would answer now the very models they answered at ``generation``; they
        are then counted in :attr:`calls` as answered, and the caller reuses what it derived.

        Only with ``exclusive`` (else False): the models change only with the generation,
        and the activity page also with the history cut (as :meth:`_newest_activities`).
        """
        if not self._exclusive or self._activity_page is None or self._current() != generation:
            return False
        # The tick reads its activities with limit=50 (DEFAULT_ACTIVITY_PAGE): the page it got.
        cached = self._newest.get((group_id, min(DEFAULT_ACTIVITY_PAGE, self._activity_page)))
        listed = self._lists.get(group_id)
        group = self._groups.get(group_id)
        now = self._settled_at  # the time _current advanced to
        if cached is None or cached[0] != generation or listed is None or listed[0] != generation \
                or group is None or group[0] != generation or now is None:
            return False
        if not _page_holds(cached, now - self._history):
            return False
        self._repeats += 1  # the three reads, counted as answered (see :attr:`calls`)
        return True

    def _history_since(self) -> datetime:
        """The history cut now: DescribeScalingActivities lists nothing that started before it."""
        return ensure_utc(self._clock.now(), field="clock.now()") - self._history

    def _newest_activities(self, group_id: str, page: int) -> list[ScalingActivity]:
        """``service.scaling_activities(group_id, limit=page)``, reused while it cannot have changed.

        With ``exclusive``, activities change only when the generation does; the time
        moves the history cut (``activity_history_days``) forward, which changes the
        answer only once it passes the oldest activity listed.
        """
        generation = self._current()  # events due now run here, and are noticed
        since = self._history_since()
        cached = self._newest.get((group_id, page))
        if cached is not None and cached[0] == generation and self._exclusive and _page_holds(cached, since):
            return list(cached[3])
        found = self.service.scaling_activities(group_id, limit=page)
        starts = [a.start_time for a in found if a.start_time is not None]
        if len(starts) == len(found):  # (a model without a start time is never reused)
            self._newest[(group_id, page)] = (generation, since, min(starts, default=None), found)
        return list(found)

    async def describe_scaling_rules(
        self, *, scaling_group_id: str | None = None, rule_ids: Sequence[str] = (), names: Sequence[str] = (),
        aris: Sequence[str] = (),
    ) -> list[ScalingRule]:
        params = {"RegionId": self.service.settings.region, "ScalingGroupId": scaling_group_id,
                  "ScalingRuleId": list(rule_ids), "ScalingRuleName": list(names), "ScalingRuleAri": list(aris)}
        return self._describe(ScalingRule, "DescribeScalingRules", params, "ScalingRules", "ScalingRule")

    async def create_scaling_rule(
        self, scaling_group_id: str, *, adjustment_type: str, adjustment_value: int,
        name: str | None = None, cooldown: int | None = None, **options: object,
    ) -> RuleRef:
        params = {"ScalingGroupId": scaling_group_id, "AdjustmentType": adjustment_type,
                  "AdjustmentValue": adjustment_value, "ScalingRuleName": name, "Cooldown": cooldown, **options}
        body = self.call("CreateScalingRule", params)
        return RuleRef(scaling_rule_id=str(body["ScalingRuleId"]), scaling_rule_ari=str(body["ScalingRuleAri"]))

    async def modify_scaling_rule(self, scaling_rule_id: str, **options: object) -> None:
        self.call("ModifyScalingRule", {"ScalingRuleId": scaling_rule_id, **options})

    async def execute_scaling_rule(self, scaling_rule_ari: str, *, client_token: str | None = None) -> str:
        body = self.call("ExecuteScalingRule", {"ScalingRuleAri": scaling_rule_ari, "ClientToken": client_token})
        return str(body["ScalingActivityId"])


def _page_holds(cached: tuple[int, datetime, datetime | None, list[ScalingActivity]], since: datetime) -> bool:
    """Whether a cached activity page is still the answer at the history cut ``since``: the
    cut has not moved back, and has not passed the oldest activity listed."""
    return since >= cached[1] and (cached[2] is None or cached[2] >= since)
