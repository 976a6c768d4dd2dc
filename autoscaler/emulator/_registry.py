"""How resource-family modules plug into the emulator service.

A family module (``groups``, ``rules``, ``scheduled``, ``hooks``, ``ecs``...) declares
its ESS actions and its event handlers with two decorators and is imported once by
:mod:`autoscaler.emulator.service`; nothing else needs editing::

    from autoscaler.emulator._registry import Ctx, Params, action, on_event

    @action("DeleteScheduledTask")
    def delete_scheduled_task(ctx: Ctx, p: Params) -> dict[str, Any]:
        task = ctx.state.scheduled_tasks.get(p.req("ScheduledTaskId"))
        if task is None:
            raise ess_error("InvalidScheduledTaskId.NotFound", action=ctx.action)
        del ctx.state.scheduled_tasks[task.id]
        ctx.state.touch("scheduled_task", task.id)
        return {}

    @on_event("scheduled.fire")
    def fire(ctx: Ctx, event: Event) -> None: ...

- An action handler receives the call context and the already type-checked wire
  parameters (required ones present, Integer/Boolean/Float ones parseable: the
  service checks that generically from the catalogue) and returns the response
  body without ``RequestId``, lists wrapped as on the wire
  (``{"ScalingGroups": {"ScalingGroup": [...]}}``). It raises documented errors
  with :func:`autoscaler.ess.ess_error`, never anything else on purpose.
- An event handler receives the context (``ctx.now`` is the event's due time) and
  the event; it must tolerate stale events.
- Two cross-family seams: :func:`lifecycle_gate` lets the lifecycle-hook family
  hold instances of an activity in a wait state (it returns the instance ids it
  holds, and later calls :func:`autoscaler.emulator.activities.release_from_wait`);
  :func:`on_notification` lets the notification family observe activity
  notifications (``AUTOSCALING:SCALE_OUT_START``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from autoscaler.ess import ess_error

if TYPE_CHECKING:
    from autoscaler.emulator._state import ActivityRecord, Event, State
    from autoscaler.emulator.settings import EmulatorSettings

__all__ = [
    "ActionHandler",
    "Ctx",
    "EventHandler",
    "Params",
    "action",
    "action_handler",
    "event_handler",
    "lifecycle_gate",
    "notify",
    "on_event",
    "on_notification",
    "registered_actions",
    "run_lifecycle_gate",
]


@dataclass(slots=True)
class Ctx:
    """What a handler may use: the state, the settings, the current time, the action name."""

    state: State
    settings: EmulatorSettings
    now: datetime
    action: str = ""


ActionHandler = Callable[[Ctx, "Params"], dict[str, Any]]
EventHandler = Callable[[Ctx, "Event"], None]
LifecycleGate = Callable[[Ctx, "ActivityRecord", list[str], str], set[str]]
NotificationListener = Callable[[Ctx, str, str, "ActivityRecord"], None]

_ACTIONS: dict[str, ActionHandler] = {}
_EVENTS: dict[str, EventHandler] = {}
_GATES: list[LifecycleGate] = []
_LISTENERS: list[NotificationListener] = []

def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register the handler of ESS action ``name`` (one handler per action)."""

    def register(fn: ActionHandler) -> ActionHandler:
        if name in _ACTIONS and _ACTIONS[name] is not fn:
            raise RuntimeError(f"action {name} is registered twice")
        _ACTIONS[name] = fn
        return fn

    return register


def on_event(kind: str) -> Callable[[EventHandler], EventHandler]:
    """Register the handler of queued events of ``kind``."""

    def register(fn: EventHandler) -> EventHandler:
        if kind in _EVENTS and _EVENTS[kind] is not fn:
            raise RuntimeError(f"event kind {kind} is registered twice")
        _EVENTS[kind] = fn
        return fn

    return register


def lifecycle_gate(fn: LifecycleGate) -> LifecycleGate:
    """Register the lifecycle-hook gate (see the module docstring)."""
    if fn not in _GATES:
        _GATES.append(fn)
    return fn


def on_notification(fn: NotificationListener) -> NotificationListener:
    """Register a listener of ``(group_id, notification_type, activity)`` notifications."""
    if fn not in _LISTENERS:
        _LISTENERS.append(fn)
    return fn


def action_handler(name: str) -> ActionHandler | None:
    return _ACTIONS.get(name)


def event_handler(kind: str) -> EventHandler | None:
    return _EVENTS.get(kind)


def registered_actions() -> list[str]:
    return sorted(_ACTIONS)


def run_lifecycle_gate(ctx: Ctx, activity: ActivityRecord, instance_ids: list[str], transition: str) -> set[str]:
    """Ask the hook family which instances it holds in a wait state (none without hooks)."""
    held: set[str] = set()
    for gate in _GATES:
        held |= gate(ctx, activity, instance_ids, transition)
    return held


def notify(ctx: Ctx, group_id: str, notification_type: str, activity: ActivityRecord) -> None:
    for listener in _LISTENERS:
        listener(ctx, group_id, notification_type, activity)


_INDEX = re.compile(r"^[1-9][0-9]{0,3}$")


class Params:
    """Typed access to the flat wire parameters of one call.

    Getters raise the documented errors naming the parameter: ``MissingParameter``
    for an absent required value, ``InvalidParameter`` for a malformed one.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = raw

    @property
    def raw(self) -> Mapping[str, str]:
        return self._raw

    def get(self, name: str) -> str | None:
        value = self._raw.get(name)
        return value if value is not None and value != "" else None

    def req(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ess_error("MissingParameter", name=name)
        return value

    def opt_int(self, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            number = int(value.strip())
        except ValueError:
            raise ess_error("InvalidParameter", name=name) from None
        if (low is not None and number < low) or (high is not None and number > high):
            raise ess_error("InvalidParameter", name=name)
        return number

    def req_int(self, name: str, *, low: int | None = None, high: int | None = None) -> int:
        self.req(name)
        number = self.opt_int(name, low=low, high=high)
        assert number is not None
        return number

    def opt_bool(self, name: str) -> bool | None:
        value = self.get(name)
        if value is None:
            return None
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise ess_error("InvalidParameter", name=name)
        return lowered == "true"

    def choice(self, name: str, values: tuple[str, ...]) -> str | None:
        value = self.get(name)
        if value is not None and value not in values:
            raise ess_error("InvalidParameter", name=name)
        return value

    def items(self, prefix: str, *, max_items: int | None = None) -> list[str]:
        """Values of ``prefix.1``, ``prefix.2``... in index order (gaps allowed, as the SDKs send)."""
        found: dict[int, str] = {}
        dotted = prefix + "."
        for key, value in self._raw.items():
            if key.startswith(dotted):
                index = key[len(dotted) :]
                if not _INDEX.match(index):
                    continue
                if value == "":
                    raise ess_error("InvalidParameter", name=key)
                found[int(index)] = value
        if max_items is not None and found and max(found) > max_items:
            raise ess_error("InvalidParameter", name=f"{prefix}.{max(found)}")
        return [found[i] for i in sorted(found)]

    def nested(self, prefix: str) -> dict[int, dict[str, str]]:
        """``prefix.N.rest`` parameters grouped by N: ``{N: {rest: value}}``."""
        out: dict[int, dict[str, str]] = {}
        dotted = prefix + "."
        for key, value in self._raw.items():
            if not key.startswith(dotted):
                continue
            index, _, rest = key[len(dotted) :].partition(".")
            if _INDEX.match(index) and rest:
                out.setdefault(int(index), {})[rest] = value
        return dict(sorted(out.items()))
