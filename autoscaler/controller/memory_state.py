"""The controller's state kept in Python objects: for replays, which never restart.

What: :class:`MemoryStateStore` has the interface of
:class:`~autoscaler.controller.state.StateStore` (intents, cooldowns, policy memory)
and the same answers, without SQLite and without JSON.

Why: a replay ticks tens of thousands of times, and target tracking's memory
changes every tick; encoding it to JSON and committing it to an in-memory SQLite
database cost about a sixth of a replay's time. The durability the SQLite store
exists for (a SIGKILL between the journal and the call) cannot happen to a replay,
which runs in one process from start to end. ``autoscaler run`` keeps SQLite.

Example::

    state = MemoryStateStore()
    ticker = GroupTicker(settings, api=api, metrics=router, refs=refs, evaluator=decide,
                         actuator=EssActuator(api, state), state=state)
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from autoscaler.controller.memory_codec import encode_memory
from autoscaler.controller.state import Intent
from autoscaler.policy.model import GroupMemory

__all__ = ["MemoryStateStore"]


class MemoryStateStore:
    """A :class:`~autoscaler.controller.state.ControllerState` in dictionaries (see the module docstring)."""

    def __init__(self) -> None:
        self._intents: dict[str, Intent] = {}
        self._cooldowns: dict[str, tuple[datetime, str]] = {}
        self._memory: dict[str, GroupMemory] = {}

    def __repr__(self) -> str:
        return f"MemoryStateStore(intents={len(self._intents)}, groups={len(self._memory)})"

    # -- intents ---------------------------------------------------------------------------

    def open_intent(self, intent: Intent) -> Intent:
        """Record ``intent``; an existing token returns the stored one (as StateStore does)."""
        existing = self._intents.get(intent.token)
        if existing is not None:
            return existing
        fresh = intent.status == "open" and intent.activity_id is None and intent.error_code is None \
            and intent.finished_at is None
        # Stored as the SQL INSERT stores it: open, no outcome (the common case needs no copy).
        self._intents[intent.token] = intent if fresh else dataclasses.replace(
            intent, status="open", activity_id=None, error_code=None, finished_at=None)
        return intent

    def finish_intent(
        self, token: str, *, at: datetime, activity_id: str | None = None, error_code: str | None = None
    ) -> None:
        intent = self._intents.get(token)
        if intent is None:
            return  # as the SQL UPDATE of an unknown token: nothing
        status = "failed" if error_code is not None else "done"
        self._intents[token] = dataclasses.replace(intent, status=status, activity_id=activity_id,
                                                   error_code=error_code, finished_at=at)

    def intent(self, token: str) -> Intent | None:
        return self._intents.get(token)

    def open_intents(self, group_id: str | None = None) -> list[Intent]:
        found = [i for i in self._intents.values()
                 if i.status == "open" and (group_id is None or i.group_id == group_id)]
        return sorted(found, key=lambda i: i.created_at)

    def recent_intents(self, group_id: str, limit: int = 50) -> list[Intent]:
        found = [i for i in self._intents.values() if i.group_id == group_id]
        return sorted(found, key=lambda i: i.created_at, reverse=True)[:limit]

    # -- cooldowns ---------------------------------------------------------------------------

    def set_cooldown(self, group_id: str, until: datetime, reason: str) -> None:
        """Extend the group's cooldown to ``until`` (never shortens a longer one)."""
        current = self._cooldowns.get(group_id)
        if current is not None and current[0] >= until:
            return
        self._cooldowns[group_id] = (until, reason)

    def cooldown(self, group_id: str) -> tuple[datetime, str] | None:
        return self._cooldowns.get(group_id)

    # -- policy memory -----------------------------------------------------------------------

    def save_group_memory(self, group_id: str, memory: GroupMemory, at: datetime) -> None:
        self._memory[group_id] = memory

    def load_group_memory(self, group_id: str) -> GroupMemory:
        memory = self._memory.get(group_id)
        return GroupMemory() if memory is None else memory

    def load_memory(self, group_id: str) -> dict[str, Any] | None:
        """The memory as :class:`StateStore` would store it (encoded), or None."""
        memory = self._memory.get(group_id)
        return None if memory is None else encode_memory(memory)

    def close(self) -> None:
        """Nothing to release (kept for the interface)."""
