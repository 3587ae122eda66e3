"""The hub's PostgreSQL connection pool (hub/store/engine.py): an idle connection whose server went away is
replaced before it is lent, while a busy connection is lent again without a ping round trip."""
from __future__ import annotations

import time

import sqlalchemy as sa

from hub.store import engine as engine_module
from hub.store.engine import create_hub_engine


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def test_idle_connection_killed_on_the_server_is_replaced_before_use(pg_url, monkeypatch):
    monkeypatch.setattr(engine_module, "PING_IDLE_AFTER_S", 0.2)
    engine, admin = create_hub_engine(pg_url), create_hub_engine(pg_url)
    try:
        pid = _backend_pid(engine)
        with admin.connect() as conn:  # a PostgreSQL restart or an administrator, as far as the pool can tell
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.4)
        assert _backend_pid(engine) != pid  # no OperationalError: the pool saw the dead connection and reconnected
    finally:
        engine.dispose()
        admin.dispose()


def test_busy_connection_is_not_pinged_and_an_idle_one_is(pg_url, monkeypatch):
    monkeypatch.setattr(engine_module, "PING_IDLE_AFTER_S", 0.3)
    engine = create_hub_engine(pg_url)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    try:
        for _ in range(20):
            _backend_pid(engine)
        assert pings == []
        time.sleep(0.5)
        _backend_pid(engine)
        assert pings == [1]
    finally:
        engine.dispose()
