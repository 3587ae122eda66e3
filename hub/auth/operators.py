"""``OperatorDirectory``: control-room accounts, sign-in with lockout, and sessions.

A session token is 32 random bytes shown once to the browser (HttpOnly cookie) or API client (Bearer);
only its SHA-256 is stored, so a copied database cannot be used to sign in. Failed sign-ins count per
account; after ``max_failures`` in a row the account is locked for ``lockout``. A wrong password and an
unknown user get the same answer and take the same time.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.org.repo import engine_of, write_tx
from hub.store.repository import utc_now
from hub.store.tables import OPERATOR_ROLES, operator_sessions, operators, people, units
from protocol import uuid7

from hub.auth.passwords import DUMMY_HASH, check_strength, hash_password, needs_rehash, verify_password


class AuthError(ValueError):
    """Sign-in refused; ``code`` is stable for clients (bad_credentials, locked, disabled)."""

    def __init__(self, code: str, message: str, retry_after: datetime | None = None):
        super().__init__(message)
        self.code, self.retry_after = code, retry_after


@dataclass(frozen=True)
class Operator:
    id: str
    username: str
    display_name: str
    role: str
    scope_code: str
    person_id: str | None
    disabled: bool
    locked_until: datetime | None

    def sees(self, unit_code: str | None) -> bool:
        """Codes nest by prefix (grid 15 = community 12 + 3 = street 9 + 3 + 3 ...), so a subtree is a prefix."""
        return unit_code is not None and unit_code.startswith(self.scope_code)


@dataclass(frozen=True)
class Session:
    token: str  # shown once
    operator: Operator
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _operator(row) -> Operator:
    return Operator(row.id, row.username, row.display_name, row.role, row.scope_code, row.person_id, row.disabled,
                    row.locked_until)


class OperatorDirectory:
    def __init__(self, store_or_engine, *, clock: Callable[[], datetime] = utc_now, max_failures: int = 5,
                 lockout: timedelta = timedelta(minutes=15), session_ttl: timedelta = timedelta(hours=12)):
        self.engine = engine_of(store_or_engine)
        self.clock = clock
        self.max_failures, self.lockout, self.session_ttl = max_failures, lockout, session_ttl

    # -- accounts --------------------------------------------------------------------------------
    def create(self, username: str, password: str, *, role: str, scope_code: str, display_name: str = "",
               person_id: str | None = None) -> Operator:
        if role not in OPERATOR_ROLES:
            raise ValueError(f"role must be one of {', '.join(OPERATOR_ROLES)}")
        check_strength(password, username)
        now = self.clock()
        with write_tx(self.engine) as conn:
            if conn.execute(sa.select(units.c.code).where(units.c.code == scope_code)).first() is None:
                raise ValueError(f"no unit {scope_code!r} to scope the account to (load the hierarchy first)")
            if person_id and conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first() is None:
                raise ValueError(f"no person {person_id!r}")
            if conn.execute(sa.select(operators.c.id).where(operators.c.username == username)).first():
                raise ValueError(f"user name {username!r} is taken")
            op_id = uuid7(int(now.timestamp() * 1000))
            conn.execute(sa.insert(operators), {
                "id": op_id, "username": username, "display_name": display_name or username, "role": role,
                "scope_code": scope_code, "person_id": person_id, "password_hash": hash_password(password),
                "failed_attempts": 0, "locked_until": None, "disabled": False, "created_at": now,
                "password_changed_at": now})
        return self.get(op_id)

    def get(self, operator_id: str) -> Operator | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(operators).where(operators.c.id == operator_id)).first()
        return _operator(row) if row else None

    def all_operators(self) -> list[Operator]:
        with self.engine.connect() as conn:
            return [_operator(r) for r in conn.execute(sa.select(operators).order_by(operators.c.username))]

    def count_admins(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(operators)
                                .where(operators.c.role == "admin", operators.c.disabled.is_(False))).scalar_one()

    def set_password(self, operator_id: str, password: str) -> None:
        op = self.get(operator_id)
        if op is None:
            raise ValueError(f"no operator {operator_id}")
        check_strength(password, op.username)
        now = self.clock()
        with write_tx(self.engine) as conn:
            conn.execute(sa.update(operators).where(operators.c.id == operator_id).values(
                password_hash=hash_password(password), password_changed_at=now, failed_attempts=0, locked_until=None))
            # a new password ends every session signed in with the old one
            conn.execute(sa.update(operator_sessions).where(operator_sessions.c.operator_id == operator_id,
                                                            operator_sessions.c.revoked_at.is_(None))
                         .values(revoked_at=now))

    def set_disabled(self, operator_id: str, disabled: bool) -> None:
        now = self.clock()
        with write_tx(self.engine) as conn:
            conn.execute(sa.update(operators).where(operators.c.id == operator_id).values(disabled=disabled))
            if disabled:
                conn.execute(sa.update(operator_sessions).where(operator_sessions.c.operator_id == operator_id,
                                                                operator_sessions.c.revoked_at.is_(None))
                             .values(revoked_at=now))

    def by_username(self, username: str) -> Operator | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(operators).where(operators.c.username == username)).first()
        return _operator(row) if row else None

    def set_person(self, operator_id: str, person_id: str | None) -> Operator:
        """Link (or unlink, with None) the person the operator acts as in case and welfare audit trails."""
        with write_tx(self.engine) as conn:
            if person_id and conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first() is None:
                raise ValueError(f"no person {person_id!r}")
            if not conn.execute(sa.update(operators).where(operators.c.id == operator_id)
                                .values(person_id=person_id)).rowcount:
                raise ValueError(f"no operator {operator_id}")
        return self.get(operator_id)

    # -- sign-in ---------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str, *, user_agent: str = "") -> Session:
        now = self.clock()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(operators).where(operators.c.username == username)).first()
        if row is None:
            verify_password(password, DUMMY_HASH)  # same work as a real check: no user-name oracle by timing
            raise AuthError("bad_credentials", "用户名或密码错误 / wrong user name or password")
        if row.locked_until is not None and row.locked_until > now:
            raise AuthError("locked", "账号已临时锁定 / account locked after repeated failures",
                            retry_after=row.locked_until)
        ok = verify_password(password, row.password_hash)
        if not ok:
            failures = row.failed_attempts + 1
            locked = now + self.lockout if failures >= self.max_failures else None
            with write_tx(self.engine) as conn:  # committed before refusing: the count must survive the error
                conn.execute(sa.update(operators).where(operators.c.id == row.id).values(
                    failed_attempts=0 if locked else failures, locked_until=locked))
            if locked:
                raise AuthError("locked", "账号已临时锁定 / account locked after repeated failures", retry_after=locked)
            raise AuthError("bad_credentials", "用户名或密码错误 / wrong user name or password")
        if row.disabled:
            raise AuthError("disabled", "账号已停用 / account disabled")
        token = secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        with write_tx(self.engine) as conn:
            values = {"failed_attempts": 0, "locked_until": None}
            if needs_rehash(row.password_hash):
                values["password_hash"] = hash_password(password)
            conn.execute(sa.update(operators).where(operators.c.id == row.id).values(**values))
            conn.execute(sa.insert(operator_sessions), {
                "token_sha256": _token_hash(token), "operator_id": row.id, "created_at": now, "expires_at": expires,
                "last_seen_at": now, "revoked_at": None, "user_agent": user_agent[:200]})
        return Session(token, self.get(row.id), expires)

    def start_session(self, operator_id: str, *, user_agent: str = "") -> Session:
        """A session without a password, for trusted code that already holds the database (the demo's own
        API calls). Never exposed over HTTP."""
        op = self.get(operator_id)
        if op is None or op.disabled:
            raise AuthError("disabled", "账号不存在或已停用 / no such account, or disabled")
        token, now = secrets.token_urlsafe(32), self.clock()
        with write_tx(self.engine) as conn:
            conn.execute(sa.insert(operator_sessions), {
                "token_sha256": _token_hash(token), "operator_id": op.id, "created_at": now,
                "expires_at": now + self.session_ttl, "last_seen_at": now, "revoked_at": None,
                "user_agent": user_agent[:200]})
        return Session(token, op, now + self.session_ttl)

    def session_operator(self, token: str) -> Operator | None:
        """The operator behind a live session token, or None (unknown, expired, revoked, disabled)."""
        if not token:
            return None
        now = self.clock()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(operators, operator_sessions.c.expires_at, operator_sessions.c.revoked_at)
                               .join(operator_sessions, operator_sessions.c.operator_id == operators.c.id)
                               .where(operator_sessions.c.token_sha256 == _token_hash(token))).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now or row.disabled:
            return None
        return _operator(row)

    def sign_out(self, token: str) -> bool:
        with write_tx(self.engine) as conn:
            return bool(conn.execute(sa.update(operator_sessions).where(
                operator_sessions.c.token_sha256 == _token_hash(token), operator_sessions.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())).rowcount)
