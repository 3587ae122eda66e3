"""Control-room accounts: Argon2id hashes, lockout after repeated failures, sessions that end, subtree scopes."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub import sample
from hub.auth.operators import AuthError, OperatorDirectory
from hub.auth.passwords import (
    Argon2idCost,
    ScryptCost,
    WeakPassword,
    hash_password,
    needs_rehash,
    verify_password,
)
from hub.org.geojson_io import load_community
from hub.org.repo import ancestor_codes
from hub.store import create_hub_engine
from hub.store.tables import metadata, operator_sessions, operators

COMMUNITY = "440402004005"
PASSWORD = "Grid-line-2026!"


@pytest.fixture
def directory(store, clock):
    load_community(store, sample.load_raw())
    return OperatorDirectory(store, clock=clock, max_failures=3, lockout=timedelta(minutes=15),
                             session_ttl=timedelta(hours=8))


def test_password_hash_is_salted_argon2id_and_verifies():
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a != b and a.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(PASSWORD, a) and not verify_password(PASSWORD + "x", a)
    assert not verify_password(PASSWORD, "md5$abc") and not needs_rehash(a)
    assert needs_rehash(hash_password(PASSWORD, ScryptCost(n=2**12)))
    assert needs_rehash(hash_password(PASSWORD, Argon2idCost(memory_kib=8 * 1024, time_cost=1)))


def test_weak_passwords_are_refused(directory):
    for weak in ("short1!", "aaaaaaaaaaaa", "opsadmin-2026"):
        with pytest.raises(WeakPassword):
            directory.create("opsadmin", weak, role="admin", scope_code=COMMUNITY)


def test_sign_in_session_and_sign_out(directory, store):
    op = directory.create("chen", PASSWORD, role="dispatcher", scope_code=COMMUNITY, display_name="陈调度")
    session = directory.sign_in("chen", PASSWORD, user_agent="pytest")
    assert directory.session_operator(session.token) == op
    with store.engine.connect() as conn:  # only the token's hash is stored
        stored = conn.execute(sa.select(operator_sessions.c.token_sha256)).scalars().all()
    assert session.token not in stored and len(stored) == 1
    assert directory.sign_out(session.token) and directory.session_operator(session.token) is None
    assert directory.session_operator("") is None and directory.session_operator("forged") is None


def test_sessions_expire(directory, clock):
    directory.create("chen", PASSWORD, role="viewer", scope_code=COMMUNITY)
    session = directory.sign_in("chen", PASSWORD)
    clock.advance(8 * 3600 - 1)
    assert directory.session_operator(session.token) is not None
    clock.advance(2)
    assert directory.session_operator(session.token) is None


def test_lockout_after_repeated_failures_then_unlock_after_the_period(directory, clock):
    directory.create("chen", PASSWORD, role="viewer", scope_code=COMMUNITY)
    for _ in range(2):
        with pytest.raises(AuthError) as e:
            directory.sign_in("chen", "wrong-password-1")
        assert e.value.code == "bad_credentials"
    with pytest.raises(AuthError) as e:
        directory.sign_in("chen", "wrong-password-1")
    assert e.value.code == "locked" and e.value.retry_after == clock() + timedelta(minutes=15)
    with pytest.raises(AuthError) as e:  # even the right password waits out the lock
        directory.sign_in("chen", PASSWORD)
    assert e.value.code == "locked"
    clock.advance(15 * 60 + 1)
    assert directory.sign_in("chen", PASSWORD).operator.username == "chen"


def test_unknown_user_and_wrong_password_look_the_same(directory):
    directory.create("chen", PASSWORD, role="viewer", scope_code=COMMUNITY)
    answers = []
    for user, pw in (("nobody", PASSWORD), ("chen", "wrong-password-1")):
        with pytest.raises(AuthError) as e:
            directory.sign_in(user, pw)
        answers.append((e.value.code, str(e.value)))
    assert answers[0] == answers[1]


def test_new_password_or_disabling_ends_sessions(directory):
    op = directory.create("chen", PASSWORD, role="supervisor", scope_code=COMMUNITY)
    s1 = directory.sign_in("chen", PASSWORD)
    directory.set_password(op.id, "Another-pass-77")
    assert directory.session_operator(s1.token) is None
    s2 = directory.sign_in("chen", "Another-pass-77")
    directory.set_disabled(op.id, True)
    assert directory.session_operator(s2.token) is None
    with pytest.raises(AuthError) as e:
        directory.sign_in("chen", "Another-pass-77")
    assert e.value.code == "disabled"


def test_scope_is_a_subtree_of_the_hierarchy(directory):
    op = directory.create("grid1", PASSWORD, role="dispatcher", scope_code=COMMUNITY)

    def sees(code: str | None) -> bool:  # the unit's ancestors decide, as OperatorScope passes them
        with directory.db.read() as conn:
            return op.sees(code, ancestor_codes(conn, code))

    assert sees(COMMUNITY + "001") and sees(COMMUNITY)
    assert not sees("440402004006001") and not sees("440402004") and not sees(None)
    with pytest.raises(ValueError, match="no unit"):
        directory.create("ghost", PASSWORD, role="viewer", scope_code="440402999999")
    with pytest.raises(ValueError, match="taken"):
        directory.create("grid1", PASSWORD, role="viewer", scope_code=COMMUNITY)


def test_migration_0006_matches_tables(store):
    engine = create_hub_engine(store.db_url)
    names = {operators.name, operator_sessions.name}

    def only_ours(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in names

    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": only_ours})
            diffs = compare_metadata(ctx, metadata)
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
    finally:
        engine.dispose()
