"""The controller's durable memory: decisions in flight, cooldowns, policy memory.

A controller can be SIGKILLed at any instant. What it must not do after a restart
is send a second activity for a decision already sent, or forget a cooldown. Two
mechanisms make that true, and this module holds the first:

1. A write-ahead journal. Before a write call, the intended action (group, token,
   target, window) is committed here; after the call, its outcome. A restart finds
   the open intent and finishes it with the *same* ClientToken, which ESS answers
   with the original activity if the first call got through.
2. Reconciliation with ``DescribeScalingActivities`` at start (in the loop): the
   latest activity of the group is the ground truth for cooldowns.

Policy memory (stabilization windows, breach counters) is stored as JSON per group
so that a restart does not reset a stabilization window into an early scale-in.

SQLite in WAL mode with ``synchronous=FULL``: every commit is on disk before the
call it guards is sent. The outcome of a call and the policy memory are committed
without waiting for the disk (they guard no call; a SIGKILL loses neither, a power
loss at worst an outcome, which the restart treats as unconfirmed, and the last
seconds of stabilisation memory). The schema is versioned; an unknown future version
is refused rather than misread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from autoscaler.controller._sqlite import SqliteFile
from autoscaler.controller.memory_codec import decode_memory, encode_memory
from autoscaler.policy.model import GroupMemory

__all__ = ["SCHEMA_VERSION", "ControllerState", "Intent", "StateStore", "StateStoreError"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    token TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    policy TEXT NOT NULL,
    kind TEXT NOT NULL,
    target INTEGER,
    rule_ari TEXT,
    window_start REAL NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL,
    activity_id TEXT,
    error_code TEXT,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS intents_by_group ON intents (group_id, created_at);
CREATE TABLE IF NOT EXISTS cooldowns (
    group_id TEXT PRIMARY KEY,
    until REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS memory (
    group_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


class StateStoreError(Exception):
    """The state file cannot be used (unknown schema version, corrupt file)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """One write the controller decided to make, and what became of it.

    ``status`` is ``open`` (committed before the call; outcome unknown), ``done``
    (the call answered; ``activity_id`` set unless the answer was NoChange) or
    ``failed`` (a definitive, non-retryable error: ``error_code``).
    """

    token: str
    group_id: str
    policy: str
    kind: str
    target: int | None
    rule_ari: str | None
    window_start: datetime
    created_at: datetime
    status: str = "open"
    activity_id: str | None = None
    error_code: str | None = None
    finished_at: datetime | None = None


class ControllerState(Protocol):
    """What the tick and the actuator need from a state store.

    :class:`StateStore` (SQLite, durable: ``autoscaler run``) and
    :class:`~autoscaler.controller.memory_state.MemoryStateStore` (Python objects,
    for replays, which never restart) both satisfy it.
    """

    def open_intent(self, intent: Intent) -> Intent: ...

    def finish_intent(
        self, token: str, *, at: datetime, activity_id: str | None = None, error_code: str | None = None
    ) -> None: ...

    def intent(self, token: str) -> Intent | None: ...

    def open_intents(self, group_id: str | None = None) -> list[Intent]: ...

    def set_cooldown(self, group_id: str, until: datetime, reason: str) -> None: ...

    def cooldown(self, group_id: str) -> tuple[datetime, str] | None: ...

    def save_group_memory(self, group_id: str, memory: GroupMemory, at: datetime) -> None: ...

    def load_group_memory(self, group_id: str) -> GroupMemory: ...

    def close(self) -> None: ...


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class StateStore(SqliteFile):
    """SQLite-backed controller state. ``path=":memory:"`` for tests and shadow runs.

    Example::

        store = StateStore(tmp_path / "state.sqlite")
        store.open_intent(intent)
        store.finish_intent(intent.token, activity_id="asa-1", at=now)
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, schema=_SCHEMA, version_table="schema_version", version=SCHEMA_VERSION,
                         error=StateStoreError, what="state")

    # -- intents ---------------------------------------------------------------------------

    def open_intent(self, intent: Intent) -> Intent:
        """Record ``intent`` before its call; an existing token returns the stored one."""
        with self._tx():
            existing = self._get(intent.token)
            if existing is not None:
                return existing
            self._db.execute(
                "INSERT INTO intents (token, group_id, policy, kind, target, rule_ari, window_start,"
                " created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
                (intent.token, intent.group_id, intent.policy, intent.kind, intent.target,
                 intent.rule_ari, _ts(intent.window_start), _ts(intent.created_at)),
            )
        return intent

    def finish_intent(
        self, token: str, *, at: datetime, activity_id: str | None = None, error_code: str | None = None
    ) -> None:
        status = "failed" if error_code is not None else "done"
        # Not durable: if a power loss forgets this outcome, the restart closes the intent
        # as unconfirmed, and a repeat in the same window carries the same ClientToken.
        with self._tx(durable=False):
            self._db.execute(
                "UPDATE intents SET status = ?, activity_id = ?, error_code = ?, finished_at = ?"
                " WHERE token = ?",
                (status, activity_id, error_code, _ts(at), token),
            )

    def intent(self, token: str) -> Intent | None:
        return self._get(token)

    def open_intents(self, group_id: str | None = None) -> list[Intent]:
        sql = "SELECT * FROM intents WHERE status = 'open'"
        args: tuple[Any, ...] = ()
        if group_id is not None:
            sql += " AND group_id = ?"
            args = (group_id,)
        return [self._row(r) for r in self._db.execute(sql + " ORDER BY created_at", args)]

    def recent_intents(self, group_id: str, limit: int = 50) -> list[Intent]:
        rows = self._db.execute(
            "SELECT * FROM intents WHERE group_id = ? ORDER BY created_at DESC LIMIT ?", (group_id, limit)
        )
        return [self._row(r) for r in rows]

    def _get(self, token: str) -> Intent | None:
        row = self._db.execute("SELECT * FROM intents WHERE token = ?", (token,)).fetchone()
        return None if row is None else self._row(row)

    @staticmethod
    def _row(row: tuple[Any, ...]) -> Intent:
        (token, group_id, policy, kind, target, rule_ari, window_start, created_at,
         status, activity_id, error_code, finished_at) = row
        window = _dt(window_start)
        created = _dt(created_at)
        assert window is not None and created is not None
        return Intent(
            token=token, group_id=group_id, policy=policy, kind=kind, target=target,
            rule_ari=rule_ari, window_start=window, created_at=created, status=status,
            activity_id=activity_id, error_code=error_code, finished_at=_dt(finished_at),
        )

    # -- cooldowns ---------------------------------------------------------------------------

    def set_cooldown(self, group_id: str, until: datetime, reason: str) -> None:
        """Extend the group's cooldown to ``until`` (never shortens a longer one)."""
        with self._tx():
            row = self._db.execute("SELECT until FROM cooldowns WHERE group_id = ?", (group_id,)).fetchone()
            if row is not None and float(row[0]) >= _ts(until):
                return
            self._db.execute(
                "INSERT INTO cooldowns (group_id, until, reason) VALUES (?, ?, ?)"
                " ON CONFLICT(group_id) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                (group_id, _ts(until), reason),
            )

    def cooldown(self, group_id: str) -> tuple[datetime, str] | None:
        row = self._db.execute("SELECT until, reason FROM cooldowns WHERE group_id = ?", (group_id,)).fetchone()
        if row is None:
            return None
        until = _dt(row[0])
        assert until is not None
        return until, str(row[1])

    # -- policy memory -----------------------------------------------------------------------

    def save_memory(self, group_id: str, body: dict[str, Any], at: datetime) -> None:
        # Written every tick, so not durable (one fsync per tick is most of a tick's
        # time at 1,000 groups): it survives a SIGKILL; a power loss loses the last seconds.
        with self._tx(durable=False):
            self._db.execute(
                "INSERT INTO memory (group_id, body, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(group_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (group_id, json.dumps(body, sort_keys=True, separators=(",", ":")), _ts(at)),
            )

    def save_group_memory(self, group_id: str, memory: GroupMemory, at: datetime) -> None:
        """Encode (:mod:`~autoscaler.controller.memory_codec`) and save a group's policy memory."""
        self.save_memory(group_id, encode_memory(memory), at)

    def load_group_memory(self, group_id: str) -> GroupMemory:
        """The group's decoded policy memory (empty when none or unreadable)."""
        return decode_memory(self.load_memory(group_id))

    def load_memory(self, group_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT body FROM memory WHERE group_id = ?", (group_id,)).fetchone()
        if row is None:
            return None
        body = json.loads(row[0])
        if not isinstance(body, dict):
            raise StateStoreError(f"{self._path}: memory of group {group_id} is not an object")
        return body
