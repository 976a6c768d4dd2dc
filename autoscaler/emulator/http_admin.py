"""The admin interface of ``ess-local`` under ``/_emulator/`` (JSON in, JSON out).

Outside the ESS namespace and unsigned (the emulator binds to loopback by default):
tests and demos use it to make the service misbehave on purpose and to read its state.

==========================  ======  ==================================================
path                        method  what
==========================  ======  ==================================================
``/_emulator/health``       GET     ``{"ok": true}``
``/_emulator/state``        GET     counts of groups, instances, activities by status
``/_emulator/faults``       PUT     set the fault rules (below); DELETE clears them
``/_emulator/outbox``       GET     notifications and lifecycle-hook messages the
                                    service sent (``?group_id=``), with their tokens
``/_emulator/ecs/<op>``     POST    an ECS admin operation of :mod:`.ecs`:
                                    ``instances`` (create instances to attach),
                                    ``events`` (inject a system event),
                                    ``instance`` (set failure flags)
==========================  ======  ==================================================

Fault rules, the first rule whose ``actions`` match a call applies::

    {"seed": 7, "rules": [{"actions": ["ExecuteScalingRule"], "error_rate": 0.2,
      "error_codes": ["Throttling", "InternalError"], "loss_rate": 0.05,
      "latency_rate": 0.05, "latency": 2.0}]}

``error_rate``: share of calls answered with one of ``error_codes`` before anything
changes; ``loss_rate``: share of applied calls whose response is dropped;
``latency_rate``/``latency`` (seconds): share of applied calls answered that late
(a client with a shorter timeout sees a timeout after the change was applied).
"""

from __future__ import annotations

import importlib
import json
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autoscaler.emulator import notifications
from autoscaler.emulator.faults import Injection
from autoscaler.ess import EssError, ess_error
from autoscaler.ess.wire import format_timestamp

if TYPE_CHECKING:
    from autoscaler.emulator.http import EmulatorApp

__all__ = ["AdminApi", "FaultRule", "RuleFaultPlan", "parse_fault_rules"]

_NO_INJECTION = Injection()
_DEFAULT_CODES = ("Throttling", "ServiceUnavailable", "InternalError")
_ECS_ALIASES = {"instances": "create_instances", "events": "inject_system_event", "instance": "set_instance"}


class AdminError(ValueError):
    """A bad admin request; the message names the field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    """One fault rule (see the module docstring); rates are within [0, 1]."""

    actions: frozenset[str] | None = None
    error_rate: float = 0.0
    error_codes: tuple[str, ...] = _DEFAULT_CODES
    loss_rate: float = 0.0
    latency_rate: float = 0.0
    latency: float = 0.0

    def applies(self, action: str) -> bool:
        return self.actions is None or action in self.actions


class RuleFaultPlan:
    """A :class:`~autoscaler.emulator.faults.FaultPlan` made of rules and a seeded random source."""

    def __init__(self, rules: list[FaultRule], rng: random.Random) -> None:
        self._rules = rules
        self._rng = rng
        self.injected: Counter[str] = Counter()

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        return tuple(self._rules)

    def _rule(self, action: str) -> FaultRule | None:
        return next((r for r in self._rules if r.applies(action)), None)

    def before(self, action: str, params: Mapping[str, str]) -> Injection:
        rule = self._rule(action)
        if rule is None:
            return _NO_INJECTION
        if rule.error_rate and self._rng.random() < rule.error_rate:
            code = self._rng.choice(rule.error_codes)
            self.injected[code] += 1
            return Injection(error=ess_error(code))
        if rule.latency_rate and self._rng.random() < rule.latency_rate:
            self.injected["latency"] += 1
            return Injection(latency=rule.latency)
        return _NO_INJECTION

    def after(self, action: str, params: Mapping[str, str]) -> bool:
        rule = self._rule(action)
        lost = rule is not None and bool(rule.loss_rate) and self._rng.random() < rule.loss_rate
        if lost:
            self.injected["lost"] += 1
        return lost


def _rate(raw: Mapping[str, Any], name: str, where: str) -> float:
    value = raw.get(name, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise AdminError(f"{where}.{name}: must be a number within [0, 1]")
    return float(value)


def _parse_rule(raw: Any, where: str) -> FaultRule:
    if not isinstance(raw, dict):
        raise AdminError(f"{where}: must be an object")
    unknown = set(raw) - {"actions", "error_rate", "error_codes", "loss_rate", "latency_rate", "latency"}
    if unknown:
        raise AdminError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    actions = raw.get("actions")
    if actions is not None and (not isinstance(actions, list) or not all(isinstance(a, str) for a in actions)):
        raise AdminError(f"{where}.actions: must be a list of action names")
    codes = raw.get("error_codes", list(_DEFAULT_CODES))
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise AdminError(f"{where}.error_codes: must be a non-empty list of error codes")
    for code in codes:
        try:
            ess_error(code)
        except KeyError:
            raise AdminError(f"{where}.error_codes: {code!r} is not a documented error code") from None
    latency = raw.get("latency", 0.0)
    if isinstance(latency, bool) or not isinstance(latency, int | float) or not 0 <= latency <= 600:
        raise AdminError(f"{where}.latency: must be a number of seconds within [0, 600]")
    return FaultRule(
        actions=frozenset(actions) if actions is not None else None,
        error_rate=_rate(raw, "error_rate", where),
        error_codes=tuple(codes),
        loss_rate=_rate(raw, "loss_rate", where),
        latency_rate=_rate(raw, "latency_rate", where),
        latency=float(latency),
    )


def parse_fault_rules(doc: Any) -> RuleFaultPlan:
    """Validate a fault document and build its plan."""
    if not isinstance(doc, dict):
        raise AdminError("body: must be a JSON object")
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise AdminError("seed: must be an integer")
    rules = doc.get("rules", [])
    if not isinstance(rules, list):
        raise AdminError("rules: must be a list")
    return RuleFaultPlan([_parse_rule(r, f"rules[{i}]") for i, r in enumerate(rules)], random.Random(seed))


class AdminApi:
    """Routes of the admin interface (see the module docstring)."""

    def __init__(self, app: EmulatorApp) -> None:
        self._app = app
        self.plan: RuleFaultPlan | None = None

    def handle(
        self, method: str, path: str, body: bytes | None, query: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        try:
            doc = json.loads(body) if body else {}
            if method == "GET" and query:
                doc = dict(query)
            return self._route(method, path.removeprefix("/_emulator/").strip("/"), doc)
        except (AdminError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            return 400, {"error": str(exc)}
        except EssError as exc:
            return exc.http_status or 400, {"error": str(exc), "code": exc.code}

    def _route(self, method: str, route: str, doc: Any) -> tuple[int, dict[str, Any]]:
        if route == "health" and method == "GET":
            return 200, {"ok": True}
        if route == "state" and method == "GET":
            return 200, self.state()
        if route == "faults" and method in ("PUT", "POST"):
            plan = parse_fault_rules(doc)
            with self._app.locked() as service:
                service.set_faults(plan)
            self.plan = plan
            return 200, {"ok": True, "rules": len(plan.rules)}
        if route == "faults" and method == "GET":
            return 200, {"injected": dict(self.plan.injected) if self.plan else {}}
        if route == "faults" and method == "DELETE":
            with self._app.locked() as service:
                service.set_faults(None)
            self.plan = None
            return 200, {"ok": True}
        if route == "outbox" and method == "GET":
            return 200, self.outbox(doc)
        if route.startswith("ecs/") and method == "POST":
            return 200, self._ecs(route.removeprefix("ecs/"), doc)
        return 404, {"error": f"no admin route {method} /_emulator/{route}"}

    def state(self) -> dict[str, Any]:
        """Counts for tests and demos (never secrets)."""
        with self._app.locked(advance=True) as service:
            state = service.state
            activities = Counter(a.status_code for a in state.activities.values())
            instances = Counter(i.lifecycle_state for i in state.instances.values())
            return {
                "scaling_groups": len(state.groups),
                "scaling_rules": len(state.rules),
                "scaling_instances": dict(instances),
                "scaling_activities": dict(activities),
                "scaling_activity_count": len(state.activities),
                "scheduled_tasks": len(state.scheduled_tasks),
                "ecs_instances": len(state.ecs_instances),
                "internal_errors": len(service.internal_errors),
            }

    def outbox(self, doc: Any) -> dict[str, Any]:
        """The notifications the service would have sent (MNS/CloudMonitor), oldest first."""
        group_id = doc.get("group_id") if isinstance(doc, dict) else None
        if group_id is not None and not isinstance(group_id, str):
            raise AdminError("group_id: must be a string")
        with self._app.locked(advance=True) as service:
            messages = notifications.outbox(service.state, group_id=group_id)
            return {"messages": [
                {"id": m.id, "group_id": m.group_id, "arn": m.arn, "type": m.type,
                 "time": format_timestamp(m.time), "body": dict(m.body)}
                for m in messages
            ]}

    def _ecs(self, op: str, doc: Any) -> dict[str, Any]:
        """``admin_<op>(service, **doc)`` of :mod:`.ecs` (``instances`` and ``events`` are aliases)."""
        if not isinstance(doc, dict):
            raise AdminError("body: must be a JSON object")
        name = "admin_" + _ECS_ALIASES.get(op, op).replace("-", "_")
        module = importlib.import_module("autoscaler.emulator.ecs")
        func = getattr(module, name, None) if name.replace("_", "").isalnum() else None
        if func is None or not callable(func) or name not in getattr(module, "__all__", ()):
            raise AdminError(f"path: unknown ECS admin operation {op!r}")
        with self._app.locked() as service:
            try:
                result = func(service, **doc)
            except TypeError as exc:
                raise AdminError(f"body: {exc}") from None
        return result if isinstance(result, dict) else {"result": result}
