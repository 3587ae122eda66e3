"""Sign-in throttling (issue 14 item 4), on SQLite and PostgreSQL, through the real HTTP API.

The red team sent 20 guesses at once and got 19 answered 401 and one 200 with a limit of 5 (the count was read,
checked and written in three steps), and locked anyone out by guessing: after 4 wrong tries the right password
got 429. Now an attempt is counted in the database before its password is checked, so at most the limit gets
checked however many arrive together; the lock covers the guessing address only (60 s, doubling per lock in a
row, at most 15 min: docs/security.md section 8), the account-wide lock needs guesses from several addresses and
spares addresses that signed in before; unknown names are answered exactly like real ones; an admin in scope
can lift locks, and that is logged and audited.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import hub.auth.operators as operators_module
from hub.app import create_app
from hub.settings import HubSettings
from hub.store.tables import access_log
from tests.security.signin_fixtures import (  # noqa: F401  (fixtures)
    ATTACKER,
    PASSWORD,
    USER,
    Accounts,
    accounts,
    http_from,
    live_hub,
    login,
    signin_clock,
    signin_store,
)

WRONG = "not-the-password-1"
LIMIT = 5  # HubSettings.sign_in_max_failures
FIRST_LOCK_S = 60  # HubSettings.sign_in_lockout_s


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each password was really checked (a counting wrapper around the real check)."""
    checks: Counter[str] = Counter()
    real = operators_module.verify_password

    def counting(password: str, stored: str) -> bool:
        checks[password] += 1
        return real(password, stored)

    monkeypatch.setattr(operators_module, "verify_password", counting)
    return checks


def test_fifty_guesses_at_once_get_at_most_the_limit_checked_and_never_lock_out_the_user(
        live_hub, signin_clock, password_checks):
    """50 wrong passwords from one address and the right one from another, all released together."""
    attacker, user = http_from(live_hub.base_url, ATTACKER), http_from(live_hub.base_url, USER)
    start = threading.Barrier(51)

    def attempt(client: httpx.Client, password: str) -> httpx.Response:
        start.wait()
        return login(client, "chen", password)

    with attacker, user, ThreadPoolExecutor(51) as pool:
        guesses = [pool.submit(attempt, attacker, WRONG) for _ in range(50)]
        real_user = pool.submit(attempt, user, PASSWORD)
        answers = [g.result() for g in guesses]
        assert real_user.result().status_code == 200  # the guesses from elsewhere never touch the user's address

        assert password_checks[WRONG] <= LIMIT, password_checks  # at most the limit evaluated before the lock
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {401: LIMIT - 1, 429: 50 - (LIMIT - 1)}, statuses
        locked = [a for a in answers if a.status_code == 429]
        assert {a.json()["detail"]["code"] for a in locked} == {"locked"}
        assert {a.headers["retry-after"] for a in locked} == {str(FIRST_LOCK_S)}

        # the attacker's address waits out the lock, even with the right password; the user's does not
        refused = login(attacker, "chen")
        assert refused.status_code == 429 and refused.headers["retry-after"] == str(FIRST_LOCK_S)
        assert login(user, "chen").status_code == 200
        signin_clock.advance(FIRST_LOCK_S - 1)
        assert login(attacker, "chen").status_code == 429
        signin_clock.advance(1)  # the documented delay has passed
        assert login(attacker, "chen").status_code == 200


@pytest.fixture
def app(signin_store, accounts, tmp_path):
    return create_app(HubSettings(data_dir=tmp_path / "hub"), store=signin_store, start_bridge=False,
                      clock=signin_store.clock)


def from_address(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def guess(client: TestClient, times: int, username: str = "chen") -> list[tuple[int, Any, str | None]]:
    out = []
    for _ in range(times):
        r = client.post("/api/auth/login", json={"username": username, "password": WRONG})
        out.append((r.status_code, r.json()["detail"], r.headers.get("retry-after")))
    return out


def test_locks_double_up_to_a_cap_and_one_address_never_locks_the_account(app, signin_clock):
    with from_address(app, "10.0.0.66") as attacker, from_address(app, "10.0.0.7") as user:
        for lock_s in (60, 120, 240, 480, 900, 900):  # 6 rounds = 30 wrong passwords from one address
            answers = guess(attacker, LIMIT)
            assert [a[0] for a in answers] == [401] * (LIMIT - 1) + [429]
            assert answers[-1][2] == str(lock_s)
            assert guess(attacker, 1)[0][0] == 429  # no password is checked while locked
            assert user.post("/api/auth/login", json={"username": "chen", "password": PASSWORD}).status_code == 200
            signin_clock.advance(lock_s)
        assert attacker.post("/api/auth/login", json={"username": "chen", "password": PASSWORD}).status_code == 200
        assert guess(attacker, 1)[0][0] == 401  # a success starts the address's count (and lock steps) again
        assert guess(attacker, LIMIT - 1)[-1][2] == "60"


def test_guesses_from_many_addresses_lock_the_account_but_not_where_the_user_signed_in_before(
        app, signin_clock):
    right = {"username": "chen", "password": PASSWORD}
    with from_address(app, "10.0.0.7") as usual:
        assert usual.post("/api/auth/login", json=right).status_code == 200  # the user's usual address
        for n in range(4):  # 4 addresses x 5 = 20 wrong passwords: the account-wide limit
            with from_address(app, f"10.9.0.{n}") as bot:
                answers = guess(bot, LIMIT)
        assert answers[-1][0] == 429
        with from_address(app, "10.9.9.9") as fresh:
            refused = fresh.post("/api/auth/login", json=right)
            assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
            assert usual.post("/api/auth/login", json=right).status_code == 200  # known good: not locked out
            signin_clock.advance(60)
            assert fresh.post("/api/auth/login", json=right).status_code == 200


def test_unknown_names_are_answered_like_real_ones(app, signin_clock):
    with from_address(app, "10.0.0.66") as attacker:
        real, made_up = guess(attacker, LIMIT + 1, "chen"), guess(attacker, LIMIT + 1, "no-such-user")
        assert real == made_up
        assert [a[0] for a in real] == [401] * (LIMIT - 1) + [429, 429]
        signin_clock.advance(60)
        assert guess(attacker, LIMIT, "chen") == guess(attacker, LIMIT, "no-such-user")


def test_an_admin_in_scope_unlocks_and_it_is_logged_and_audited(app, signin_store, accounts: Accounts,
                                                                 caplog):
    caplog.set_level(logging.WARNING, logger="hub.auth.operators")
    right = {"username": "chen", "password": PASSWORD}
    with from_address(app, "10.0.0.66") as attacker, from_address(app, "10.0.0.1") as office:
        assert guess(attacker, LIMIT)[-1][0] == 429
        assert any("sign-in lock" in r.message and "10.0.0.66" in r.message for r in caplog.records)

        def token(username: str) -> dict[str, str]:
            r = office.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            return {"Authorization": f"Bearer {r.json()['token']}"}

        url = f"/api/operators/{accounts.chen}/unlock"
        assert office.post(url, headers=token("chen")).status_code == 403  # not an admin
        assert office.post(url, headers=token("wz-admin")).status_code == 404  # another community's admin
        admin = token("fs-admin")
        locks = office.get(f"/api/operators/{accounts.chen}/sign-in-locks", headers=admin).json()
        assert [(lock["client"], lock["locked"]) for lock in locks] == [("10.0.0.66", True)]
        assert attacker.post("/api/auth/login", json=right).status_code == 429
        r = office.post(url, headers=admin)
        assert r.status_code == 200 and "10.0.0.66" in [lock["client"] for lock in r.json()["lifted"]]
        assert attacker.post("/api/auth/login", json=right).status_code == 200  # no wait after the unlock
    assert any("sign-in unlock" in r.message and "fs-admin" in r.message for r in caplog.records)
    with signin_store.read() as conn:
        rows = conn.execute(sa.select(access_log).where(access_log.c.route == "/api/operators/{operator_id}/unlock")
                            .order_by(access_log.c.id)).mappings().all()
    assert [(r["operator_id"], r["status"]) for r in rows][-1] == (accounts.admin, 200)
    assert rows[-1]["resource_ids"]["operator_id"] == accounts.chen and rows[-1]["client_addr"] == "10.0.0.1"
