"""The durable memory of instance care: maintenance progress and rate-limit marks.

A maintenance flow spans many ticks (EnterStandby, RedeployInstance, minutes of
redeploy, ExitStandby), and a controller can be restarted anywhere in between. Each
flow is one row keyed by the ECS system event it answers, and its ``phase`` is written
*before* the call that moves it on (write-ahead, as the intents of
:mod:`autoscaler.controller.state`), so that a restart resumes at the right step and
never sends a step twice that ESS or ECS already acknowledged:

- ``waiting``: the event was seen; the instance still serves (no slot, or the group
  first scales out to keep its serving capacity);
- ``entering``: EnterStandby is being sent (repeating it is harmless);
- ``standby``: in standby, draining until the next tick;
- ``redeploying``: RedeployInstance is being sent (``task_id`` empty) or was
  accepted (``task_id`` set; the task is followed with DescribeTasks);
- ``exiting``: the task finished; ExitStandby is being sent (repeating it is harmless);
- ``done``, ``failed`` (the task failed: the instance stays in standby, an operator
  decides), ``gone`` (the instance left the group or an operator took it out of
  standby).

The rows live in the controller's state file, in tables of their own with their own
schema version, through a separate connection (SQLite WAL allows it), so that
:mod:`autoscaler.controller.state` stays untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from autoscaler.controller._sqlite import SqliteFile

__all__ = ["ACTIVE_PHASES", "CARE_SCHEMA_VERSION", "CareStateStore", "MaintenanceRecord", "Phase"]

CARE_SCHEMA_VERSION = 1

Phase = Literal["waiting", "entering", "standby", "redeploying", "exiting", "done", "failed", "gone"]
PHASES: tuple[str, ...] = get_args(Phase)
ACTIVE_PHASES: frozenset[str] = frozenset({"waiting", "entering", "standby", "redeploying", "exiting", "failed"})
"""Phases in which the instance is (or is about to be) out of serving."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS care_schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS care_maintenance (
    event_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    event_code TEXT NOT NULL,
    phase TEXT NOT NULL,
    task_id TEXT,
    need INTEGER NOT NULL,
    detected_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS care_maintenance_by_group ON care_maintenance (group_id, phase);
CREATE TABLE IF NOT EXISTS care_marks (
    group_id TEXT NOT NULL,
    name TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (group_id, name)
);
"""


class CareStateError(Exception):
    """The care tables cannot be used (a newer schema version)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceRecord:
    """One maintenance flow: an ECS system event on one instance of one group.

    ``need`` is the serving capacity the policies needed when the event was seen; the
    flow never takes the instance out of serving while fewer others serve.
    """

    event_id: str
    group_id: str
    instance_id: str
    event_code: str
    phase: Phase
    need: int
    detected_at: datetime
    updated_at: datetime
    task_id: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("event_id", "group_id", "instance_id", "event_code"):
            if not getattr(self, name):
                raise ValueError(f"{name}: must be non-empty")
        if self.phase not in PHASES:
            raise ValueError(f"phase: must be one of {PHASES} (got {self.phase!r})")
        if self.need < 0:
            raise ValueError(f"need: must be >= 0 (got {self.need})")
        for name in ("detected_at", "updated_at"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name}: must be timezone-aware")

    @property
    def active(self) -> bool:
        return self.phase in ACTIVE_PHASES

    def moved(self, phase: Phase, *, at: datetime, task_id: str | None = None, reason: str | None = None
              ) -> MaintenanceRecord:
        """The same flow in ``phase`` (``task_id`` kept unless given)."""
        return replace(self, phase=phase, updated_at=at, task_id=task_id if task_id is not None else self.task_id,
                       reason=self.reason if reason is None else reason)


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class CareStateStore(SqliteFile):
    """SQLite tables of instance care; ``path=":memory:"`` for tests and shadow runs.

    Example::

        store = CareStateStore(tmp_path / "state.sqlite")
        store.save(record)
        store.active("asg-1")  # [record]
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, schema=_SCHEMA, version_table="care_schema_version", version=CARE_SCHEMA_VERSION,
                         error=CareStateError, what="care")

    # -- maintenance -----------------------------------------------------------------

    def save(self, record: MaintenanceRecord) -> None:
        """Insert or replace one flow, committed to disk before the caller's next call."""
        with self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO care_maintenance (event_id, group_id, instance_id, event_code, phase,"
                " task_id, need, detected_at, updated_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.event_id, record.group_id, record.instance_id, record.event_code, record.phase,
                 record.task_id, record.need, _ts(record.detected_at), _ts(record.updated_at), record.reason),
            )

    def get(self, event_id: str) -> MaintenanceRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM care_maintenance WHERE event_id = ?", (event_id,)).fetchone()
        return None if row is None else _record(row)

    def records(self, group_id: str) -> list[MaintenanceRecord]:
        """Every flow of the group, oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM care_maintenance WHERE group_id = ? ORDER BY detected_at, event_id",
            (group_id,),
        ).fetchall()
        return [_record(r) for r in rows]

    def active(self, group_id: str) -> list[MaintenanceRecord]:
        return [r for r in self.records(group_id) if r.active]

    # -- marks -------------------------------------------------------------------------

    def mark(self, group_id: str, name: str, at: datetime) -> None:
        with self._tx():
            self._db.execute("INSERT OR REPLACE INTO care_marks (group_id, name, at) VALUES (?, ?, ?)",
                             (group_id, name, _ts(at)))

    def last_mark(self, group_id: str, name: str) -> datetime | None:
        row = self._db.execute("SELECT at FROM care_marks WHERE group_id = ? AND name = ?",
                               (group_id, name)).fetchone()
        return None if row is None else _dt(float(row[0]))


_COLUMNS = "event_id, group_id, instance_id, event_code, phase, task_id, need, detected_at, updated_at, reason"


def _record(row: tuple[Any, ...]) -> MaintenanceRecord:
    return MaintenanceRecord(
        event_id=row[0], group_id=row[1], instance_id=row[2], event_code=row[3], phase=row[4], task_id=row[5],
        need=int(row[6]), detected_at=_dt(float(row[7])), updated_at=_dt(float(row[8])), reason=row[9],
    )
