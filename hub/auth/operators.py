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
from typing import Any

from hub.auth import repo
from hub.auth.passwords import DUMMY_HASH, check_strength, hash_password, needs_rehash, verify_password
from hub.org import repo as org_repo
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.store.vocabulary import OPERATOR_ROLES
from protocol import uuid7


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


def _operator(row: dict[str, Any]) -> Operator:
    return Operator(row["id"], row["username"], row["display_name"], row["role"], row["scope_code"],
                    row["person_id"], row["disabled"], row["locked_until"])


class OperatorDirectory:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now, max_failures: int = 5,
                 lockout: timedelta = timedelta(minutes=15), session_ttl: timedelta = timedelta(hours=12)):
        self.db = db
        self.clock = clock
        self.max_failures, self.lockout, self.session_ttl = max_failures, lockout, session_ttl

    # -- accounts --------------------------------------------------------------------------------
    def create(self, username: str, password: str, *, role: str, scope_code: str, display_name: str = "",
               person_id: str | None = None) -> Operator:
        if role not in OPERATOR_ROLES:
            raise ValueError(f"role must be one of {', '.join(OPERATOR_ROLES)}")
        check_strength(password, username)
        now = self.clock()
        with self.db.write() as conn:
            if org_repo.unit(conn, scope_code) is None:
                raise ValueError(f"no unit {scope_code!r} to scope the account to (load the hierarchy first)")
            if person_id and org_repo.person(conn, person_id) is None:
                raise ValueError(f"no person {person_id!r}")
            if repo.operator_by_name(conn, username) is not None:
                raise ValueError(f"user name {username!r} is taken")
            op_id = uuid7(int(now.timestamp() * 1000))
            repo.insert_operator(conn, {
                "id": op_id, "username": username, "display_name": display_name or username, "role": role,
                "scope_code": scope_code, "person_id": person_id, "password_hash": hash_password(password),
                "failed_attempts": 0, "locked_until": None, "disabled": False, "created_at": now,
                "password_changed_at": now})
        return self._existing(op_id)

    def get(self, operator_id: str) -> Operator | None:
        with self.db.read() as conn:
            row = repo.operator(conn, operator_id)
        return _operator(row) if row else None

    def _existing(self, operator_id: str) -> Operator:
        found = self.get(operator_id)
        if found is None:
            raise ValueError(f"no operator {operator_id}")
        return found

    def all_operators(self) -> list[Operator]:
        with self.db.read() as conn:
            return [_operator(r) for r in repo.all_operators(conn)]

    def count_admins(self) -> int:
        with self.db.read() as conn:
            return repo.count_enabled(conn, "admin")

    def set_password(self, operator_id: str, password: str) -> None:
        op = self.get(operator_id)
        if op is None:
            raise ValueError(f"no operator {operator_id}")
        check_strength(password, op.username)
        now = self.clock()
        with self.db.write() as conn:
            repo.update_operator(conn, operator_id, {"password_hash": hash_password(password),
                                                     "password_changed_at": now, "failed_attempts": 0,
                                                     "locked_until": None})
            repo.revoke_sessions(conn, operator_id, now)  # a new password ends every session with the old one

    def set_disabled(self, operator_id: str, disabled: bool) -> None:
        now = self.clock()
        with self.db.write() as conn:
            repo.update_operator(conn, operator_id, {"disabled": disabled})
            if disabled:
                repo.revoke_sessions(conn, operator_id, now)

    def by_username(self, username: str) -> Operator | None:
        with self.db.read() as conn:
            row = repo.operator_by_name(conn, username)
        return _operator(row) if row else None

    def set_person(self, operator_id: str, person_id: str | None) -> Operator:
        """Link (or unlink, with None) the person the operator acts as in case and welfare audit trails."""
        with self.db.write() as conn:
            if person_id and org_repo.person(conn, person_id) is None:
                raise ValueError(f"no person {person_id!r}")
            if not repo.update_operator(conn, operator_id, {"person_id": person_id}):
                raise ValueError(f"no operator {operator_id}")
        return self._existing(operator_id)

    # -- sign-in ---------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str, *, user_agent: str = "") -> Session:
        now = self.clock()
        with self.db.read() as conn:
            row = repo.operator_by_name(conn, username)
        if row is None:
            verify_password(password, DUMMY_HASH)  # same work as a real check: no user-name oracle by timing
            raise AuthError("bad_credentials", "用户名或密码错误 / wrong user name or password")
        if row["locked_until"] is not None and row["locked_until"] > now:
            raise AuthError("locked", "账号已临时锁定 / account locked after repeated failures",
                            retry_after=row["locked_until"])
        ok = verify_password(password, row["password_hash"])
        if not ok:
            failures = row["failed_attempts"] + 1
            locked = now + self.lockout if failures >= self.max_failures else None
            with self.db.write() as conn:  # committed before refusing: the count must survive the error
                repo.update_operator(conn, row["id"], {"failed_attempts": 0 if locked else failures,
                                                       "locked_until": locked})
            if locked:
                raise AuthError("locked", "账号已临时锁定 / account locked after repeated failures", retry_after=locked)
            raise AuthError("bad_credentials", "用户名或密码错误 / wrong user name or password")
        if row["disabled"]:
            raise AuthError("disabled", "账号已停用 / account disabled")
        token = secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        with self.db.write() as conn:
            values: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
            if needs_rehash(row["password_hash"]):
                values["password_hash"] = hash_password(password)
            repo.update_operator(conn, row["id"], values)
            repo.insert_session(conn, {
                "token_sha256": _token_hash(token), "operator_id": row["id"], "created_at": now,
                "expires_at": expires, "last_seen_at": now, "revoked_at": None, "user_agent": user_agent[:200]})
        return Session(token, self._existing(row["id"]), expires)

    def start_session(self, operator_id: str, *, user_agent: str = "") -> Session:
        """A session without a password, for trusted code that already holds the database (the demo's own
        API calls). Never exposed over HTTP."""
        op = self.get(operator_id)
        if op is None or op.disabled:
            raise AuthError("disabled", "账号不存在或已停用 / no such account, or disabled")
        token, now = secrets.token_urlsafe(32), self.clock()
        with self.db.write() as conn:
            repo.insert_session(conn, {
                "token_sha256": _token_hash(token), "operator_id": op.id, "created_at": now,
                "expires_at": now + self.session_ttl, "last_seen_at": now, "revoked_at": None,
                "user_agent": user_agent[:200]})
        return Session(token, op, now + self.session_ttl)

    def session_operator(self, token: str) -> Operator | None:
        """The operator behind a live session token, or None (unknown, expired, revoked, disabled)."""
        if not token:
            return None
        now = self.clock()
        with self.db.read() as conn:
            row = repo.session_with_operator(conn, _token_hash(token))
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now or row["disabled"]:
            return None
        return _operator(row)

    def sign_out(self, token: str) -> bool:
        with self.db.write() as conn:
            return repo.revoke_session(conn, _token_hash(token), self.clock())
