"""Shared fixtures: real brokers and real databases, never mocks.

- ``broker_url``: the broker under test: a broker of this session's own - under pytest-xdist, one per worker and
  engine - since a hub under test takes every device's uplinks and tests running side by side on one broker would
  see each other's traffic. Its engine is the test's ``broker_engine``: Mosquitto, and for the end-to-end tests
  also iotcore (the embedded broker ``gridline demo`` uses without Mosquitto: tests/e2e/conftest.py runs them on
  both). ``GRIDLINE_TEST_BROKER`` narrows that: ``mosquitto`` or ``embedded`` (iotcore) for every test, or
  ``mqtt://host:port``, a broker shared by everything that runs tests against it.
- ``own_broker``: a broker of the test's own on a free port, on the test's engine, which the test may restart or
  kill.
- ``db_url``: parametrised over a SQLite file and a fresh PostgreSQL database (``GRIDLINE_TEST_PG``).

Ports come from ``tests.isolation.free_port`` (claimed across processes, so parallel workers never race for one);
a fresh PostgreSQL database is used under a shared hold of ``tests.isolation``'s PostgreSQL lock, which the
``pg_restart`` fault scenario takes exclusively. Under pytest-xdist (``-n N``, with the default ``--dist load`` or
``--dist loadgroup``) the hooks at the end keep together what must stay on one worker, start the longest tests
first and let the few timing-sensitive tests run while the other workers wait (tests/scheduling.py).
"""
from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from hub.mqtt.embedded_broker import ManagedBroker
from tests.isolation import LOCK_DIR, free_port, hold_postgres, postgres_in_use, release_postgres, run_lock
from tests.page_failures import describe_pages
from tests.scheduling import make_scheduler, needs_alone

PG_ADMIN_URL = os.environ.get("GRIDLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


BROKER_CHOICE = os.environ.get("GRIDLINE_TEST_BROKER", "")  # "", mosquitto, embedded or mqtt://host:port
BROKER_ENGINES = ("iotcore",) if BROKER_CHOICE == "embedded" else ("mosquitto",) if BROKER_CHOICE else (
    "mosquitto", "iotcore")  # what tests/e2e/conftest.py parametrises the end-to-end tests over


@pytest.fixture
def broker_engine(request) -> str:
    """The broker engine of this test's brokers: its parameter where tests/e2e/conftest.py gives one."""
    return getattr(request, "param", BROKER_ENGINES[0])


@pytest.fixture(scope="session")
def session_brokers(tmp_path_factory):
    """``get(engine)``: this session's broker of that engine, started on first use."""
    started: dict[str, ManagedBroker] = {}

    def get(engine: str) -> ManagedBroker:
        if engine not in started:
            started[engine] = ManagedBroker(tmp_path_factory.mktemp(f"{engine}-broker"), port=free_port(),
                                            engine=engine).start()
        return started[engine]

    yield get
    for broker in started.values():
        broker.stop()


@pytest.fixture
def broker_url(broker_engine, session_brokers) -> str:
    if BROKER_CHOICE.startswith("mqtt"):
        return BROKER_CHOICE
    return session_brokers(broker_engine).url


@pytest.fixture
def own_broker(tmp_path, broker_engine):
    """A broker only this test uses, on the test's engine; restartable."""
    broker = ManagedBroker(tmp_path / "broker", port=free_port(), engine=broker_engine).start()
    yield broker
    broker.stop()


@pytest.fixture
def unique():
    """A short random suffix so device ids and client ids never collide on a shared broker."""
    return uuid.uuid4().hex[:8]


_PG_TEMPLATE: list[str] = []  # this process's migrated template database, made on first use
_PENDING_DROPS: list[threading.Thread] = []
_SQLITE_TEMPLATE: list[Path] = []
_TEMPLATE_LOCK = threading.Lock()  # a test's own threads may ask for databases at once


def _pg_database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _admin_engine():
    import sqlalchemy as sa

    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _migrated_template() -> str:
    """A database migrated to head, copied by ``CREATE DATABASE ... TEMPLATE`` for every test that gets a migrated
    one: the copy takes a fraction of migrating an empty database (about 2 s on a loaded CI machine, for each of
    some 400 PostgreSQL tests). Connections to it are refused afterwards (autovacuum's too), as a copy needs."""
    import sqlalchemy as sa

    from hub.store import HubStore

    with _TEMPLATE_LOCK:
        if not _PG_TEMPLATE:
            name = f"gridline_tpl_{uuid.uuid4().hex[:10]}"
            admin = _admin_engine()
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            store = HubStore(_pg_database_url(name), Path(tempfile.mkdtemp(prefix="gl-tpl-")))
            try:
                store.migrate()
            finally:
                store.close()
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            admin.dispose()
            _PG_TEMPLATE.append(name)
        return _PG_TEMPLATE[0]


def _migrated_sqlite_template() -> Path:
    """A SQLite file migrated to head, copied for each test's ``db_url`` (as the PostgreSQL template is)."""
    from hub.store import HubStore

    with _TEMPLATE_LOCK:
        if not _SQLITE_TEMPLATE:
            folder = Path(tempfile.mkdtemp(prefix="gl-sqlite-tpl-"))
            store = HubStore(f"sqlite:///{folder / 'hub.db'}", folder / "data")
            try:
                store.migrate()
            finally:
                store.close()
            wal = folder / "hub.db-wal"
            assert not wal.exists() or wal.stat().st_size == 0, "the template must be whole in its one file"
            _SQLITE_TEMPLATE.append(folder / "hub.db")
        return _SQLITE_TEMPLATE[0]


def _fresh_pg_database(*, migrated: bool = False):
    """(url, drop) of a new PostgreSQL database: empty, or ``migrated`` to head (a copy of this process's template).
    ``drop`` returns at once: the DROP (a checkpoint, about a second) runs on a thread, joined at the session's end."""
    import sqlalchemy as sa

    name = f"gridline_test_{uuid.uuid4().hex[:10]}"
    hold_postgres()  # from CREATE to DROP: the pg_restart fault scenario waits for it (tests/isolation.py)
    try:
        template = f' TEMPLATE "{_migrated_template()}"' if migrated else ""
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{template}'))
    except BaseException:
        release_postgres()
        raise
    url = _pg_database_url(name)

    def drop_now():
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
        finally:
            release_postgres()

    def drop():
        thread = threading.Thread(target=drop_now, name=f"drop-{name}", daemon=True)
        thread.start()
        _PENDING_DROPS.append(thread)

    return url, drop


@pytest.fixture(scope="session", autouse=True)
def _pg_cleanup():
    """At the session's end: the pending DROPs finish and this process's template goes too."""
    yield
    for thread in _PENDING_DROPS:
        thread.join(60)
    if _PG_TEMPLATE:
        import sqlalchemy as sa

        with postgres_in_use():
            admin = _admin_engine()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE[0]}"'))
            admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        target = tmp_path / "hub.db"
        shutil.copyfile(_migrated_sqlite_template(), target)
        yield f"sqlite:///{target}"
        return
    url, drop = _fresh_pg_database(migrated=True)
    yield url
    drop()


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database (a test may migrate it step by step)."""
    url, drop = _fresh_pg_database()
    yield url
    drop()


@pytest.fixture
def pg_migrated_url():
    """A fresh PostgreSQL database already migrated to head."""
    url, drop = _fresh_pg_database(migrated=True)
    yield url
    drop()


# -- signed-in API clients (the hub API needs an operator session for everything but health and login) ------
OPERATOR_PASSWORD = "Gridline-test-2024!"
SAMPLE_COMMUNITY = "440402004005"  # 福石社区 of hub/sample; its city 440400 is the top of the sample hierarchy


@pytest.fixture
def sign_in():
    """``sign_in(client, store, role=..., scope=..., person=...) -> token``: create an operator in ``store``
    (the hierarchy must be loaded) and sign ``client`` (a TestClient or httpx.Client) in through
    ``POST /api/auth/login``. The client then sends the session as ``Authorization: Bearer`` on every call;
    the returned token lets a test act as several operators on one client (pass it as a header)."""
    from hub.auth.operators import OperatorDirectory

    made = iter(range(1_000_000))

    def sign(client, store, *, role: str = "dispatcher", scope: str = SAMPLE_COMMUNITY, person: str | None = None,
             username: str | None = None, set_default: bool = True) -> str:
        username = username or f"{role}-{next(made)}"
        OperatorDirectory(store, clock=store.clock).create(username, OPERATOR_PASSWORD, role=role, scope_code=scope,
                                                           person_id=person)
        response = client.post("/api/auth/login", json={"username": username, "password": OPERATOR_PASSWORD})
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        if set_default:
            client.headers["Authorization"] = f"Bearer {token}"
        return token

    return sign


# -- parallel runs (pytest-xdist; ``./dev.sh test`` runs ``-n 5 --dist loadgroup``) -------------------------------
@pytest.hookimpl(tryfirst=True, optionalhook=True)  # ahead of xdist's own; optional: xdist may be absent
def pytest_xdist_make_scheduler(config, log):
    """``-n N`` (``--dist load``, the default) or ``--dist loadgroup``: the groups and start order of
    tests/scheduling.py (see there why not marks alone). Other ``--dist`` modes are left to xdist."""
    return make_scheduler(config, log) if config.getvalue("dist") in ("load", "loadgroup") else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under xdist: each test (setup to teardown) holds this run's lock shared; those in ``ALONE`` hold it alone."""
    lock = run_lock()
    if lock is None:
        yield
        return
    with lock.alone() if needs_alone(item.nodeid) else lock.shared():
        yield


# Full (generation 2) collections in a test process walk everything it has made so far: ≈ 0.5 s each after a few
# hundred tests, 19 of 200 CPU-s in tests/hub/api (gc callbacks). Ten times fewer of them: 24 -> 10 s of GC there.
# The hub process itself freezes its start-up heap instead (hub/process/gc_tuning.py); a test process can't (it
# builds a new hub in every test, and frozen garbage is never freed).
FULL_COLLECTION_EVERY = 1000  # generation-1 collections (CPython's default: 10)


def pytest_configure(config):
    gc.set_threshold(gc.get_threshold()[0], gc.get_threshold()[1], FULL_COLLECTION_EVERY)
    if os.environ.get("PYTEST_XDIST_WORKER") or not (LOCK_DIR / "runs").is_dir():
        return
    for old in (LOCK_DIR / "runs").iterdir():  # the run locks of runs gone a day ago
        try:
            if time.time() - old.stat().st_mtime > 86400:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that drives Chromium reports what its pages showed (tests/page_failures.py); its fixtures are
    still open here."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        described = describe_pages(item.nodeid, getattr(item, "funcargs", {}))
        if described:
            report.sections.append(("pages at failure", described))
