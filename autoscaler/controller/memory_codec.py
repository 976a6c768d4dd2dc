"""Policy memory to JSON and back, for the state file.

Stabilization windows, breach counters, warm-up and cooldown deadlines and schedule
fire times survive a restart, so a restarted controller neither scales in early nor
fires a schedule twice. ``extension`` (state private to a policy kind, such as the
predictive policy's history) is not persisted: it is rebuilt from the metric's own
history, and until then that policy is conservative (docs/controller.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from autoscaler.policy.model import GroupMemory, PolicyMemory

__all__ = ["decode_memory", "encode_memory"]

_TIMES = ("observing_since", "warmup_until", "cooldown_until", "next_fire", "handled_fire")


def _t(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _d(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int | float):
        raise ValueError(f"expected a timestamp, got {value!r}")
    return datetime.fromtimestamp(float(value), UTC)


def _encode_policy(memory: PolicyMemory) -> dict[str, Any]:
    body: dict[str, Any] = {name: _t(getattr(memory, name)) for name in _TIMES}
    body["recommendations"] = [[_t(at), value] for at, value in memory.recommendations]
    body["scale_ins"] = [[_t(at), value] for at, value in memory.scale_ins]
    body["breaches"] = memory.breaches
    body["warmup_base"] = memory.warmup_base
    return body


def _decode_policy(body: dict[str, Any]) -> PolicyMemory:
    def pairs(key: str) -> tuple[tuple[datetime, int], ...]:
        out = []
        for at, value in body.get(key, []):
            when = _d(at)
            assert when is not None
            out.append((when, int(value)))
        return tuple(out)

    return PolicyMemory(
        recommendations=pairs("recommendations"),
        scale_ins=pairs("scale_ins"),
        breaches=int(body.get("breaches", 0)),
        warmup_base=body.get("warmup_base"),
        **{name: _d(body.get(name)) for name in _TIMES},
    )


def encode_memory(memory: GroupMemory) -> dict[str, Any]:
    return {"version": 1, "policies": {name: _encode_policy(m) for name, m in memory.policies.items()}}


def decode_memory(body: dict[str, Any] | None) -> GroupMemory:
    """Decode; an unreadable body gives an empty memory (the conservative default)."""
    if not body or body.get("version") != 1:
        return GroupMemory()
    try:
        return GroupMemory(policies={n: _decode_policy(b) for n, b in body.get("policies", {}).items()})
    except (TypeError, ValueError, AssertionError):
        return GroupMemory()
