"""The emulated ESS service: one object, every action, driven by an injected clock.

``EssService.handle(action, params)`` is the contract shared by the HTTP front, the
replays and the tests: it takes the flat wire parameters exactly as they arrive
(``{"ScalingGroupId": ..., "InstanceId.1": ...}``) and returns the documented JSON
body without ``RequestId``, or raises an :class:`~autoscaler.ess.EssError` built from
the catalogue. Per call it

1. consults the fault plan (an injected error is raised before anything changes),
2. applies every event due by ``clock.now()`` (launches finishing, hooks timing out,
   scheduled tasks firing...: :meth:`advance`; nothing ever sleeps),
3. validates the parameters generically from the catalogue (required ->
   ``MissingParameter``; Integer/Boolean/Float -> ``InvalidParameter`` naming the
   parameter; an unknown or unimplemented action -> ``UnsupportedOperation``),
4. dispatches to the handler a family module registered
   (:mod:`autoscaler.emulator._registry`),
5. writes every record the call touched to the store in one transaction before
   returning, so a restart loses nothing that was acknowledged.

An unexpected Python exception is a bug: it is logged, kept in
:attr:`EssService.internal_errors` (tests assert it stays empty) and answered as
``InternalError``.

Example::

    service = EssService(VirtualClock(start))
    group_id = service.handle("CreateScalingGroup", {"RegionId": "cn-hangzhou",
                              "MinSize": "0", "MaxSize": "4"})["ScalingGroupId"]
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from autoscaler.clock import Clock, ensure_utc
from autoscaler.emulator._registry import Ctx, Params, action_handler, event_handler
from autoscaler.emulator._state import State
from autoscaler.emulator.describe import activity_model, group_model, instance_model
from autoscaler.emulator.faults import FaultPlan, NoFaults, ResponseLost
from autoscaler.emulator.settings import EmulatorSettings
from autoscaler.ess import EssError, InternalError, catalogue, ess_error
from autoscaler.ess.model import ScalingActivity, ScalingGroup, ScalingInstance

__all__ = ["EssService", "Reply", "Store"]

log = logging.getLogger(__name__)

# Family modules, imported for their registrations. A module that does not exist
# yet is skipped (its actions answer UnsupportedOperation); one that exists but
# fails to import fails loudly.
_FAMILIES = (
    "groups",
    "describe",
    "configurations",
    "rules",
    "activities",
    "execute",
    "instances",
    "membership",
    "balancers",
    "ecs",
    "scheduled",
    "hooks",
    "notifications",
)


def _load_families() -> None:
    for name in _FAMILIES:
        module = f"autoscaler.emulator.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


_load_families()


class Store(Protocol):
    """Persistence of the state (see :class:`autoscaler.emulator.store.SqliteStore`)."""

    def load(self) -> State | None:
        """The persisted state, or None for an empty store."""
        ...

    def save(self, state: State) -> None:
        """Write the touched records and events of ``state`` in one transaction, then clear the marks."""
        ...

    def close(self) -> None:
        """Release the underlying resources."""
        ...


@dataclass(frozen=True, slots=True)
class Reply:
    """A response body and the latency the HTTP front should add before sending it."""

    body: dict[str, Any]
    latency: float = 0.0


@dataclass(frozen=True, slots=True)
class _ParamRule:
    name: str
    pattern: re.Pattern[str] | None
    type: str
    required: bool


_TYPED = {"Integer", "Boolean", "Bool", "Float", "Long"}


# ECS read actions the product needs that the ESS reference does not catalogue
# (autoscaler.emulator.ecs validates their parameters itself).
UNCATALOGUED_ACTIONS = frozenset({"DescribeTasks", "DescribeInstanceHistoryEvents", "DescribeInstances"})


def _compile(action: str) -> list[_ParamRule]:
    rules: list[_ParamRule] = []
    if action in UNCATALOGUED_ACTIONS:
        return rules
    for spec in catalogue().params(action):
        name = str(spec["name"])
        if name == "Action":
            continue
        kind = str(spec.get("type") or "String")
        required = bool(spec.get("required"))
        if not required and kind not in _TYPED:
            continue
        pattern = None
        if re.search(r"\.(N|M|n)(\.|$)", name):
            regex = re.sub(r"\\\.(N|M|n)(?=\\\.|$)", r"\\.[1-9][0-9]*", re.escape(name))
            pattern = re.compile(f"^{regex}$")
        rules.append(_ParamRule(name, pattern, kind, required))
    return rules


def _check_value(name: str, kind: str, value: str) -> None:
    text = value.strip()
    try:
        if kind in ("Integer", "Long"):
            number = int(text)
            bits = 63 if kind == "Long" else 31  # the API's Integer is 32-bit, Long 64-bit
            if not -(2**bits) <= number < 2**bits:
                raise ValueError(text)
        elif kind == "Float":
            float(text)
        elif kind in ("Boolean", "Bool") and text.lower() not in ("true", "false"):
            raise ValueError(text)
    except ValueError:
        raise ess_error("InvalidParameter", name=name) from None


class EssService:
    """The emulated ESS API (see the module docstring)."""

    def __init__(
        self,
        clock: Clock,
        *,
        settings: EmulatorSettings | None = None,
        store: Store | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self._clock = clock
        self.settings = settings or EmulatorSettings()
        self._store = store
        self._faults: FaultPlan = faults or NoFaults()
        loaded = store.load() if store is not None else None
        self.state = loaded or State()
        self._rules: dict[str, list[_ParamRule]] = {}
        self._known = frozenset(catalogue().actions) | UNCATALOGUED_ACTIONS
        self._advanced_to: datetime | None = None
        self.internal_errors: list[BaseException] = []
        """Unexpected exceptions answered as InternalError (a test failure when not empty)."""

    def __repr__(self) -> str:
        return f"EssService(region={self.settings.region!r}, groups={len(self.state.groups)})"

    @property
    def clock(self) -> Clock:
        return self._clock

    def close(self) -> None:
        """Close the store (the service must not be used afterwards)."""
        if self._store is not None:
            self._store.close()

    def set_faults(self, faults: FaultPlan | None) -> None:
        self._faults = faults or NoFaults()

    # -- the contract --------------------------------------------------------------

    def handle(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Apply one call; return the documented body (no RequestId) or raise EssError."""
        return self.dispatch(action, params).body

    def dispatch(self, action: str, params: Mapping[str, str]) -> Reply:
        """Like :meth:`handle`, with the injected latency for the HTTP front."""
        injection = self._faults.before(action, params)
        if injection.error is not None:
            raise injection.error
        handler = action_handler(action)
        if handler is None or action not in self._known:
            raise ess_error("UnsupportedOperation")
        now = ensure_utc(self._clock.now(), field="clock.now()")
        try:
            self._advance(now)
            self._validate(action, params)
            body = handler(Ctx(self.state, self.settings, now, action), Params(params))
        except EssError:
            raise
        except Exception as exc:
            raise self._internal(action, exc) from exc
        finally:
            self._flush()
        if self._faults.after(action, params):
            raise ResponseLost(action)
        return Reply(body, injection.latency)

    def advance(self, now: datetime) -> int:
        """Apply every event due at or before ``now`` in time order; return how many ran."""
        now = ensure_utc(now, field="now")
        if self._nothing_due(now):  # the common case of a replay's reads: no handler, nothing to write
            return 0
        try:
            return self._advance(now)
        except EssError:
            raise
        except Exception as exc:
            raise self._internal("advance", exc) from exc
        finally:
            self._flush()

    def next_event_time(self) -> datetime | None:
        """When the next queued event is due (replays jump straight to it)."""
        return self.state.next_due()

    # -- typed reads for in-process callers (replays): no wire encoding, same state ------

    def scaling_group(self, group_id: str) -> ScalingGroup:
        """The group as DescribeScalingGroups would describe it now (``NotFound`` if absent)."""
        self.advance(ensure_utc(self._clock.now(), field="clock.now()"))
        group = self.state.groups.get(group_id)
        if group is None:
            raise ess_error("InvalidScalingGroupId.NotFound", action="CreateScalingRule")
        return group_model(self.state, group)

    def scaling_instances(self, group_id: str) -> list[ScalingInstance]:
        """The group's instances in join order, as DescribeScalingInstances would list them."""
        self.advance(ensure_utc(self._clock.now(), field="clock.now()"))
        return [instance_model(i) for i in self.state.group_members(group_id)]

    def scaling_activities(self, group_id: str, *, limit: int) -> list[ScalingActivity]:
        """The group's newest ``limit`` activities, newest first: the first page of
        DescribeScalingActivities (same 30-day history), in O(limit) for replays."""
        now = ensure_utc(self._clock.now(), field="clock.now()")
        self.advance(now)
        since = now - timedelta(days=self.settings.activity_history_days)
        out: list[ScalingActivity] = []
        for activity_id in reversed(self.state.group_activities.get(group_id, {})):
            record = self.state.activities.get(activity_id)
            if record is None:
                continue
            if record.start_time < since or len(out) >= limit:
                break
            out.append(activity_model(record))
        return out

    def scaling_activity(self, activity_id: str) -> ScalingActivity | None:
        """One activity, or None when it does not exist (any more)."""
        self.advance(ensure_utc(self._clock.now(), field="clock.now()"))
        record = self.state.activities.get(activity_id)
        return activity_model(record) if record is not None else None

    # -- internals -----------------------------------------------------------------

    def _nothing_due(self, now: datetime) -> bool:
        """True (and the time mark moved as :meth:`_advance` would) when no event is due by ``now``
        and nothing waits to be written, so advancing would neither run nor write anything."""
        state = self.state
        if self._advanced_to is not None and now < self._advanced_to:
            now = self._advanced_to
        if (state.events and state.events[0].due <= now) or state.dirty or state.dirty_events:
            return False
        self._advanced_to = now
        return True

    def _advance(self, now: datetime) -> int:
        if self._advanced_to is not None and now < self._advanced_to:
            now = self._advanced_to
        self._advanced_to = now
        count = 0
        state = self.state
        if not state.events or state.events[0].due > now:
            return 0
        ctx = Ctx(state, self.settings, now, "")
        while (event := state.pop_due(now)) is not None:
            handler = event_handler(event.kind)
            if handler is None:
                raise RuntimeError(f"no handler registered for event kind {event.kind!r}")
            ctx.now = event.due
            handler(ctx, event)
            count += 1
        return count

    def _validate(self, action: str, params: Mapping[str, str]) -> None:
        rules = self._rules.get(action)
        if rules is None:
            rules = self._rules[action] = _compile(action)
        for rule in rules:
            if rule.pattern is None:
                value = params.get(rule.name)
                if value is None or value == "":
                    if rule.required:
                        raise ess_error("MissingParameter", name=rule.name)
                    continue
                if rule.type in _TYPED:
                    _check_value(rule.name, rule.type, value)
                continue
            matched = [(k, v) for k, v in params.items() if rule.pattern.match(k)]
            if rule.required and not matched:
                raise ess_error("MissingParameter", name=rule.name.replace(".N", ".1").replace(".M", ".1"))
            if rule.type in _TYPED:
                for key, value in matched:
                    _check_value(key, rule.type, value)
        region = params.get("RegionId")
        if region is not None and region != self.settings.region:
            raise ess_error("InvalidRegionId.NotFound")

    def _internal(self, action: str, exc: Exception) -> EssError:
        log.exception("emulator bug while handling %s", action)
        self.internal_errors.append(exc)
        error = ess_error("InternalError")
        assert isinstance(error, InternalError)
        return error

    def _flush(self) -> None:
        state = self.state
        if self._store is None:
            state.dirty.clear()
            state.dirty_events.clear()
            return
        if state.dirty or state.dirty_events:
            self._store.save(state)
