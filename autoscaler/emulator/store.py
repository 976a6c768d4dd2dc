"""SQLite persistence of the emulator state, written through at the end of each call.

Schema (version 1, recorded in ``schema_version``):

- ``records(kind, id, data)``: one row per record of :data:`RECORD_KINDS`, the
  dataclass fields as JSON (datetimes as ``{"$t": iso}``);
- ``events(seq, due, kind, payload)``: the queued future state changes;
- ``meta(key, value)``: the id sequence.

``save`` writes the records and events the call touched (deleting the ones that
are gone) in one transaction, before the service returns its response: a restart
loses nothing that a response acknowledged. ``load`` rebuilds a :class:`State`,
its indexes and its queue. A database written by a newer schema is refused rather
than misread.

Example::

    service = EssService(clock, store=SqliteStore(path))   # reloads what was there
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from autoscaler.emulator._state import RECORD_KINDS, Event, State

__all__ = ["SCHEMA_VERSION", "SqliteStore", "StoreError"]

SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (kind, id))",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, due TEXT NOT NULL, kind TEXT NOT NULL,"
    " payload TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class StoreError(Exception):
    """The database cannot be used (unknown schema version, unreadable record)."""


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$t"}:
            return datetime.fromisoformat(value["$t"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _record_json(record: Any) -> str:
    return json.dumps({f.name: _encode(getattr(record, f.name)) for f in fields(record)}, separators=(",", ":"))


class SqliteStore:
    """A :class:`~autoscaler.emulator.service.Store` in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._init_schema()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def close(self) -> None:
        self._db.close()

    def _init_schema(self) -> None:
        with self._db:
            self._db.execute("BEGIN")
            for statement in _SCHEMA:
                self._db.execute(statement)
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {row[0]} is not {SCHEMA_VERSION}")

    def load(self) -> State | None:
        """The persisted state, or None when the store holds nothing yet."""
        state = State()
        count = 0
        for kind, record_id, data in self._db.execute("SELECT kind, id, data FROM records"):
            cls = RECORD_KINDS.get(kind)
            if cls is None:
                raise StoreError(f"{self.path}: unknown record kind {kind!r} (id {record_id})")
            try:
                state.table(kind)[record_id] = cls(**_decode(json.loads(data)))
            except (TypeError, ValueError) as exc:
                raise StoreError(f"{self.path}: record {kind}/{record_id}: {exc}") from exc
            count += 1
        for seq, due, kind, payload in self._db.execute("SELECT seq, due, kind, payload FROM events"):
            state.restore_event(Event(due=datetime.fromisoformat(due), seq=int(seq), kind=kind,
                                      payload=json.loads(payload)))
            count += 1
        row = self._db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        if row is not None:
            state.seq = int(row[0])
        if count == 0 and row is None:
            return None
        state.rebuild_indexes()
        return state

    def save(self, state: State) -> None:
        """Write the touched records and events in one transaction; clear the marks."""
        db = self._db
        with db:
            db.execute("BEGIN IMMEDIATE")
            for kind, record_id in state.dirty:
                record = state.table(kind).get(record_id)
                if record is None:
                    db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))
                else:
                    db.execute("INSERT OR REPLACE INTO records (kind, id, data) VALUES (?, ?, ?)",
                               (kind, record_id, _record_json(record)))
            for seq in state.dirty_events:
                event = state.live_event(seq)
                if event is None:
                    db.execute("DELETE FROM events WHERE seq = ?", (seq,))
                else:
                    db.execute("INSERT OR REPLACE INTO events (seq, due, kind, payload) VALUES (?, ?, ?, ?)",
                               (seq, event.due.isoformat(), event.kind, json.dumps(event.payload)))
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?)", (str(state.seq),))
        state.dirty.clear()
        state.dirty_events.clear()
