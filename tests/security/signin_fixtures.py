"""Fixtures of the sign-in tests in tests/security (issue 14 items 4, 7, 8; imported explicitly by the test
modules, there is no conftest.py here): a migrated store on SQLite and PostgreSQL (``db_url``) with the sample
community 福石社区 and its neighbour 湾仔社区, accounts in both, and the real hub (uvicorn on a loopback port, no
MQTT) over that store, driven by the test's clock."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hub import sample
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.org.repo import Person, Unit, save_people, save_units
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from hub.store import HubStore
from tests.hub.conftest import Clock

PASSWORD = "Grid-line-2026!"
FUSHI, WANZAI = "440402004005", "440402004006"
ATTACKER, USER = "127.0.0.1", "127.0.0.2"  # two client addresses on loopback (Linux routes 127/8 to lo)


@dataclass(frozen=True)
class Accounts:
    chen: str  # a dispatcher in 福石
    admin: str  # 福石's admin
    other_admin: str  # 湾仔's admin: 福石's accounts are outside its scope


@pytest.fixture
def signin_clock() -> Clock:
    return Clock()


@pytest.fixture
def signin_store(db_url: str, tmp_path: Path, signin_clock: Clock) -> Iterator[HubStore]:
    store = HubStore(db_url, tmp_path / "data", clock=signin_clock)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def accounts(signin_store: HubStore) -> Accounts:
    load_community(signin_store, sample.load_raw())
    with signin_store.write() as conn:
        save_units(conn, [Unit(WANZAI, "community", "湾仔社区", "440402004")], signin_store.clock())
        save_people(conn, [Person("p-disp-fs", "福石调度员", "dispatcher", FUSHI)])
    ops = OperatorDirectory(signin_store, clock=signin_store.clock)
    return Accounts(
        chen=ops.create("chen", PASSWORD, role="dispatcher", scope_code=FUSHI, person_id="p-disp-fs").id,
        admin=ops.create("fs-admin", PASSWORD, role="admin", scope_code=FUSHI).id,
        other_admin=ops.create("wz-admin", PASSWORD, role="admin", scope_code=WANZAI).id)


@pytest.fixture
def live_hub(signin_store: HubStore, accounts: Accounts, tmp_path: Path) -> Iterator[HubRunner]:
    """The hub's HTTP API on 127.0.0.1:<free port> (uvicorn in a thread, as ``gridline hub serve`` runs it)."""
    runner = HubRunner(HubSettings(data_dir=tmp_path / "hub", http_port=0), store=signin_store, start_bridge=False,
                       clock=signin_store.clock).start()
    yield runner
    runner.stop()


def http_from(base_url: str, address: str) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (what the hub sees as the client's address)."""
    return httpx.Client(base_url=base_url, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address,
                                                      limits=httpx.Limits(max_connections=100)))


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def bearer(client: httpx.Client, username: str) -> dict[str, str]:
    response = login(client, username)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
