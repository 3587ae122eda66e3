"""``Database``: the hub's typed database handle. Every repository function takes one (or a connection from it).

A read is ``with db.read() as conn``; a write is ``with db.write() as conn``, a transaction that takes SQLite's
write lock up front (``hub_write``, see engine.py) so concurrent writers queue on ``busy_timeout`` instead of
failing with SQLITE_BUSY half-way. ``HubStore`` (the ingest store) is a ``Database`` too, so anything holding
the store holds the database.
"""
from __future__ import annotations

from contextlib import AbstractContextManager

import sqlalchemy as sa

from hub.store.engine import create_hub_engine, normalize_db_url


class Database:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_hub_engine(normalize_db_url(url)))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def read(self) -> AbstractContextManager[sa.Connection]:
        """A connection for reads (SQLite: a deferred transaction, so a burst of reads sees one snapshot)."""
        return self.engine.connect()

    def write(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction, committed when the block ends without an exception."""
        return self.engine.execution_options(hub_write=True).begin()

    def dispose(self) -> None:
        self.engine.dispose()
