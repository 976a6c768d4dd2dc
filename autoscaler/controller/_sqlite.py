"""The SQLite file the controller keeps its state in, shared by its stores.

Each store (decisions in flight, instance care) owns its tables and its own schema
version in the same file. Every commit is on disk before the call it guards is sent
(WAL, ``synchronous=FULL``); records that guard no call may skip the wait for the
disk (``_tx(durable=False)``). A file written by a newer controller is refused rather
than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SqliteFile"]


class SqliteFile:
    """A connection with the controller's durability settings and a versioned schema."""

    def __init__(self, path: str | Path, *, schema: str, version_table: str, version: int,
                 error: type[Exception], what: str) -> None:
        self._path = str(path)
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        if self._path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")  # two stores share the file
        with self._tx():
            for statement in schema.strip().split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute(f"SELECT version FROM {version_table}").fetchone()
            if row is None:
                self._db.execute(f"INSERT INTO {version_table} (version) VALUES (?)", (version,))
            elif int(row[0]) > version:
                raise error(f"{self._path}: {what} schema version {row[0]} is newer than this "
                            f"controller's ({version}); refusing to read it")

    @contextmanager
    def _tx(self, *, durable: bool = True) -> Iterator[None]:
        """A write transaction; ``durable=False`` commits without waiting for the disk.

        A non-durable commit (``synchronous=NORMAL`` in WAL mode) survives the process
        being killed, not a power loss; it is for records whose loss a restart repairs
        (the outcome of a call, policy memory), and saves one fsync per tick.
        """
        if not durable:
            self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        self._db.close()
