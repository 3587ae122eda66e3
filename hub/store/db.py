"""``Database``: the hub's typed database handle. Every repository function takes one (or a connection from it).

A read is ``with db.read() as conn``; a write is ``with db.write() as conn``, a transaction that takes SQLite's
write lock up front (``hub_write``, see engine.py) so it cannot fail with SQLITE_BUSY half-way. On SQLite the
writers of this process first pass the file's write gate (write_gate.py), which lets case work go before the
ingest writer's position batches (``db.write(bulk=True)``). ``HubStore`` (the ingest store) is a ``Database``
too, so anything holding the store holds the database.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import sqlalchemy as sa

from hub.store.engine import create_hub_engine, normalize_db_url
from hub.store.write_gate import BULK, CASEWORK, WriteGate, gate_for


class Database:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        # One gate per file, shared by every Database of this process on it (":memory:" is private to its engine).
        self.write_gate: WriteGate | None = (
            None if database is None else WriteGate() if database in ("", ":memory:")
            else gate_for(os.path.abspath(database)))

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_hub_engine(normalize_db_url(url)))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def read(self) -> AbstractContextManager[sa.Connection]:
        """A connection for reads (SQLite: a deferred transaction, so a burst of reads sees one snapshot)."""
        return self.engine.connect()

    def write(self, *, bulk: bool = False) -> AbstractContextManager[sa.Connection]:
        """A write transaction, committed when the block ends without an exception. ``bulk``: the ingest writer's
        batches, which on SQLite wait for any case work queued before them."""
        if self.write_gate is None:
            return self.engine.execution_options(hub_write=True).begin()
        return self._gated_write(self.write_gate, BULK if bulk else CASEWORK)

    @contextmanager
    def _gated_write(self, gate: WriteGate, priority: int) -> Iterator[sa.Connection]:
        with gate.hold(priority), self.engine.execution_options(hub_write=True).begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
