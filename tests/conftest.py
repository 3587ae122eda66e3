"""Shared fixtures: real brokers and real databases, never mocks.

- ``broker_url``: the broker under test. ``GRIDLINE_TEST_BROKER`` = ``mqtt://host:port`` (default: this
  machine's Mosquitto on 127.0.0.1:1883) or ``embedded`` (an iotcore broker started for the session).
- ``own_broker``: a Mosquitto (or iotcore) of the test's own on a free port, which the test may restart or kill.
- ``db_url``: parametrised over a SQLite file and a fresh PostgreSQL database (``GRIDLINE_TEST_PG``).
"""
from __future__ import annotations

import os
import uuid

import pytest

from hub.embedded_broker import ManagedBroker

PG_ADMIN_URL = os.environ.get("GRIDLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory):
    target = os.environ.get("GRIDLINE_TEST_BROKER", "mqtt://127.0.0.1:1883")
    if target != "embedded":
        yield target
        return
    broker = ManagedBroker(tmp_path_factory.mktemp("embedded-broker"), engine="iotcore").start()
    yield broker.url
    broker.stop()


@pytest.fixture
def own_broker(tmp_path):
    """A broker only this test uses; restartable. Mosquitto unless GRIDLINE_TEST_BROKER=embedded."""
    engine = "iotcore" if os.environ.get("GRIDLINE_TEST_BROKER") == "embedded" else "mosquitto"
    broker = ManagedBroker(tmp_path / "broker", engine=engine).start()
    yield broker
    broker.stop()


@pytest.fixture
def unique():
    """A short random suffix so device ids and client ids never collide on a shared broker."""
    return uuid.uuid4().hex[:8]


def _fresh_pg_database():
    import sqlalchemy as sa

    name = f"gridline_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    url, drop = _fresh_pg_database()
    yield url
    drop()


@pytest.fixture
def pg_url():
    url, drop = _fresh_pg_database()
    yield url
    drop()
