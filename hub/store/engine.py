"""Engines for SQLite (WAL, durable commits) and PostgreSQL (psycopg 3) from one URL."""
from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def is_transient(exc: BaseException) -> bool:
    """Database unavailable (retry the whole batch or pass later) vs. this data can't be stored (isolate it)."""
    if isinstance(exc, sa.exc.DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError))
    return isinstance(exc, (sa.exc.TimeoutError, sa.exc.DisconnectionError, OSError))


def normalize_db_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _prepare_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Hand transaction control to SQLAlchemy events below (pysqlite's implicit BEGIN is lazy and
        # deferred, which turns read-then-write into SQLITE_BUSY without waiting).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a receipted record must survive a power cut; NORMAL may roll back the last commits.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Write transactions take the write lock up front so concurrent writers queue on busy_timeout.
        mode = "IMMEDIATE" if conn.get_execution_options().get("hub_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


PING_IDLE_AFTER_S = 2.0  # a connection back in the pool for longer than this is checked before it is lent again


def _ping_idle_connections(engine: sa.Engine) -> None:
    """Pessimistic disconnect handling for connections that sat idle (a PostgreSQL restart in between) without
    SQLAlchemy's ``pool_pre_ping`` round trip on *every* checkout: the ingest writer and busy jobs take a
    connection dozens of times a second, and a ping each time cost ≈ 6 % of the hub at 10x district load. A
    connection that breaks within the window fails its transaction, which the callers already retry."""
    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, proxy):
        idle_since = record.info.pop("idle_since", None)  # None: a new connection, nothing to check
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_AFTER_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError("idle connection is gone") from exc  # the pool connects anew


def create_hub_engine(url: str) -> sa.Engine:
    url = normalize_db_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        _prepare_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # pool_size covers the hub's usual concurrent users (writer, case jobs, sweeps, dashboard feed, API), so
        # connections are kept rather than opened and closed as overflow every few seconds.
        engine = sa.create_engine(url, pool_size=10, max_overflow=10)
        _ping_idle_connections(engine)
        return engine
    raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")
