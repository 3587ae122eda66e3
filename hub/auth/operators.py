"""``OperatorDirectory``: control-room accounts, sign-in with throttling, and sessions.

A session token is 32 random bytes shown once to the browser (HttpOnly cookie) or API client (Bearer);
only its SHA-256 is stored, so a copied database cannot be used to sign in.

Sign-in throttling (table ``sign_in_throttle``, OWASP's "lock per account and source, short and growing"):

- per (account, client address): each attempt is counted in the database BEFORE its password is checked, in
  one conditional UPDATE (``repo.reserve_attempt``), so any number of guesses sent together get at most
  ``max_failures`` password checks; the attempt that fills the count locks that pair at once for ``lockout``,
  doubled for each further lock in a row, at most ``max_lockout``. A success clears the pair. An attacker's
  guesses lock only the attacker's own address: the real user at another address signs in as usual;
- per account across addresses (client ``'*'``): wrong passwords from any address, each address counting only
  its first ``max_failures`` (before its first lock), so one address never locks the account; at
  ``account_max_failures`` the account is locked for every address that has not signed in successfully
  before (its pair row is clean), with the same growing lock. ``operators.locked_until`` mirrors this lock
  for the admin list; ``operators.failed_attempts`` is no longer used (kept 0);
- an admin lifts locks (``unlock``, ``POST /api/operators/{id}/unlock``); locks and unlocks are logged as
  warnings, and the access log has every attempt and every unlock.

A wrong password and an unknown user get the same answers in the same order (unknown names run the same
throttle in memory, per hub worker) and the same password work (Argon2id against a dummy hash).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.auth import repo
from hub.auth.passwords import check_strength, dummy_hash, hash_password, needs_rehash, verify_password
from hub.org import repo as org_repo
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.store.vocabulary import OPERATOR_ROLES
from protocol import uuid7

log = logging.getLogger(__name__)

ALL_CLIENTS = "*"  # the throttle row of an account across every client address
UNKNOWN_CLIENT = "-"  # the client address when the caller gave none (CLI, tests)
LOCKED = "账号已临时锁定，请稍后再试 / sign-in locked after repeated failures; try again later"
BAD_CREDENTIALS = "用户名或密码错误 / wrong user name or password"


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

    def sees(self, unit_code: str | None, ancestors: Sequence[str]) -> bool:
        """Whether the unit lies in this operator's subtree. ``ancestors``: the codes of the unit and every unit
        above it (``hub.org.repo.ancestor_codes``): the hierarchy decides, never the codes' spelling (city 440400
        is the parent of district 440402). :class:`hub.auth.scope.OperatorScope` is what routes use."""
        return unit_code is not None and self.scope_code in ancestors


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


@dataclass(frozen=True)
class SignInLock:
    """One ``sign_in_throttle`` row: an account's wrong passwords and lock from one client address (``'*'``: the
    account across every address)."""
    client: str
    failures: int
    lockouts: int
    locked_until: datetime | None
    updated_at: datetime

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def _sign_in_lock(row: dict[str, Any]) -> SignInLock:
    return SignInLock(row["client"], row["failures"], row["lockouts"], row["locked_until"], row["updated_at"])


def _locked(row: dict[str, Any] | None, now: datetime) -> bool:
    return row is not None and row["locked_until"] is not None and row["locked_until"] > now


def lock_steps(now: datetime, first: timedelta, longest: timedelta) -> list[datetime]:
    """When a lock starting ``now`` ends: ``steps[i]`` after ``i`` locks in a row (the last one from then on):
    ``first``, twice that, four times ... at most ``longest``."""
    steps, span = [], first
    while span < longest:
        steps.append(now + span)
        span *= 2
    return [*steps, now + longest]


def _count_failure(row: dict[str, Any], max_failures: int, steps: list[datetime]) -> None:
    """In memory, what ``repo._counted`` does in SQL: one more wrong password; the one that fills the count locks."""
    if row["failures"] + 1 >= max_failures:
        row["locked_until"] = steps[min(row["lockouts"], len(steps) - 1)]
        row["failures"], row["lockouts"] = 0, row["lockouts"] + 1
    else:
        row["failures"] += 1


@dataclass(frozen=True)
class _Gate:
    """A sign-in attempt's pass through the throttle: refused (until when), or counted (may check the password)."""
    refused_until: datetime | None = None
    first_round: bool = False  # the address has not been locked out of this account yet: counts towards '*'
    locked_until: datetime | None = None  # this attempt filled the pair's count and locked it


class _UnknownNames:
    """The same throttle for user names that do not exist, kept in memory (a throttle row needs an account):
    a made-up name is answered 401 ... 429 exactly like a real one, so the answers tell no names. Bounded (the
    names tried least recently are forgotten first); per hub worker."""

    def __init__(self, limit: int = 10_000, clients_per_name: int = 1_000):
        self.limit, self.clients_per_name = limit, clients_per_name
        self._names: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def _rows(self, name: str) -> dict[str, dict[str, Any]]:
        rows = self._names.pop(name, None) or {}
        self._names[name] = rows
        while len(self._names) > self.limit:
            self._names.popitem(last=False)
        return rows

    def reserve(self, name: str, client: str, now: datetime, max_failures: int, steps: list[datetime]) -> _Gate:
        with self._lock:
            rows = self._rows(name)
            star = rows.get(ALL_CLIENTS)
            pair = rows.setdefault(client, {"failures": 0, "lockouts": 0, "locked_until": None})
            if len(rows) > self.clients_per_name + 1:  # the first addresses that tried it are forgotten first
                del rows[next(c for c in rows if c not in (ALL_CLIENTS, client))]
            if _locked(star, now):  # an unknown name never signed in: no address is exempt
                return _Gate(refused_until=star["locked_until"] if star else None)
            if _locked(pair, now):
                return _Gate(refused_until=pair["locked_until"])
            first_round = pair["lockouts"] == 0
            _count_failure(pair, max_failures, steps)
            return _Gate(first_round=first_round, locked_until=pair["locked_until"] if pair["failures"] == 0 else None)

    def fail(self, name: str, gate: _Gate, now: datetime, max_failures: int, steps: list[datetime]) -> datetime | None:
        if not gate.first_round:
            return None
        with self._lock:
            star = self._rows(name).setdefault(ALL_CLIENTS, {"failures": 0, "lockouts": 0, "locked_until": None})
            if _locked(star, now):
                return None
            _count_failure(star, max_failures, steps)
            return star["locked_until"] if star["failures"] == 0 else None


class OperatorDirectory:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now, max_failures: int = 5,
                 lockout: timedelta = timedelta(minutes=1), max_lockout: timedelta = timedelta(minutes=15),
                 account_max_failures: int = 20, session_ttl: timedelta = timedelta(hours=12)):
        """``max_failures`` wrong passwords from one address lock the (account, address) pair for ``lockout``,
        doubled for each further lock in a row up to ``max_lockout``; ``account_max_failures`` from all
        addresses (each address's first ``max_failures`` only) lock the account for addresses without an
        earlier success, on the same steps."""
        self.db = db
        self.clock = clock
        self.max_failures, self.lockout, self.session_ttl = max(1, max_failures), lockout, session_ttl
        self.max_lockout = max(max_lockout, lockout)
        self.account_max_failures = max(self.max_failures + 1, account_max_failures)  # one address: never enough
        self._unknown = _UnknownNames()

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
            repo.delete_throttle(conn, operator_id)  # and the guesses against the old one no longer count

    def set_disabled(self, operator_id: str, disabled: bool) -> None:
        now = self.clock()
        with self.db.write() as conn:
            repo.update_operator(conn, operator_id, {"disabled": disabled})
            if disabled:
                repo.revoke_sessions(conn, operator_id, now)

    def set_role_scope(self, operator_id: str, *, role: str | None = None, scope_code: str | None = None,
                       display_name: str | None = None) -> Operator:
        """Change an account's role, scope unit or shown name (None: unchanged); it applies from the next request."""
        values: dict[str, Any] = {}
        if role is not None:
            if role not in OPERATOR_ROLES:
                raise ValueError(f"role must be one of {', '.join(OPERATOR_ROLES)}")
            values["role"] = role
        if display_name is not None:
            values["display_name"] = display_name.strip() or None
        with self.db.write() as conn:
            if scope_code is not None:
                if org_repo.unit(conn, scope_code) is None:
                    raise ValueError(f"no unit {scope_code!r}")
                values["scope_code"] = scope_code
            if values.get("display_name") is None:
                values.pop("display_name", None)
            if values and not repo.update_operator(conn, operator_id, values):
                raise ValueError(f"no operator {operator_id}")
        return self._existing(operator_id)

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
    def sign_in(self, username: str, password: str, *, user_agent: str = "", client: str = "") -> Session:
        """A new session, or :class:`AuthError`: ``locked`` (with ``retry_after``) while this address (or, for an
        address that never signed in to the account, the account) is locked; ``bad_credentials`` for a wrong
        password or an unknown name alike; ``disabled``. ``client``: the caller's address."""
        now = self.clock()
        client = (client or UNKNOWN_CLIENT)[:64]
        steps = lock_steps(now, self.lockout, self.max_lockout)
        with self.db.read() as conn:
            row = repo.operator_by_name(conn, username)
        if row is None:
            gate = self._unknown.reserve(username, client, now, self.max_failures, steps)
        else:
            gate = self._reserve(row, client, now, steps)
        if gate.refused_until is not None:
            raise AuthError("locked", LOCKED, retry_after=gate.refused_until)
        if gate.locked_until is not None:
            log.warning("sign-in lock: %r from %s locked until %s after %d wrong passwords", username, client,
                        gate.locked_until.isoformat(), self.max_failures)
        # the same work either way: no user-name oracle by timing
        ok = verify_password(password, row["password_hash"] if row is not None else dummy_hash())
        if row is None or not ok:
            if row is None:
                account_locked = self._unknown.fail(username, gate, now, self.account_max_failures, steps)
            else:
                account_locked = self._count_account_failure(row, gate, now, steps)
            if account_locked is not None:
                log.warning("sign-in lock: %r locked for addresses without an earlier sign-in until %s (%d wrong "
                            "passwords from several addresses)", username, account_locked.isoformat(),
                            self.account_max_failures)
            locked = gate.locked_until or account_locked
            if locked is not None:
                raise AuthError("locked", LOCKED, retry_after=locked)
            raise AuthError("bad_credentials", BAD_CREDENTIALS)
        if row["disabled"]:
            raise AuthError("disabled", "账号已停用 / account disabled")
        token = secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        with self.db.write() as conn:
            repo.clear_throttle(conn, row["id"], [client], now)  # this address is known good from now on
            repo.clear_throttle(conn, row["id"], [ALL_CLIENTS], now, keep_lock=True)  # others stay locked out
            if needs_rehash(row["password_hash"]):
                repo.update_operator(conn, row["id"], {"password_hash": hash_password(password)})
            repo.insert_session(conn, {
                "token_sha256": _token_hash(token), "operator_id": row["id"], "created_at": now,
                "expires_at": expires, "last_seen_at": now, "revoked_at": None, "user_agent": user_agent[:200]})
        return Session(token, self._existing(row["id"]), expires)

    def _reserve(self, row: dict[str, Any], client: str, now: datetime, steps: list[datetime]) -> _Gate:
        """Count this attempt for (account, client) before the password is checked (committed at once, so
        concurrent attempts see it), unless the pair or the account is locked."""
        with self.db.write() as conn:
            made = repo.add_throttle_rows(conn, row["id"], [client, ALL_CLIENTS], now)
            pair = None if client in made else repo.throttle_row(conn, row["id"], client)
            known_good = pair is not None and pair["failures"] == 0 and pair["lockouts"] == 0 and not _locked(pair, now)
            star = repo.throttle_row(conn, row["id"], ALL_CLIENTS)
            if _locked(star, now) and not known_good:
                return _Gate(refused_until=star["locked_until"] if star else None)
            after = repo.reserve_attempt(conn, row["id"], client, max_failures=self.max_failures, steps=steps,
                                         now=now)
            if after is None:  # locked meanwhile: the lock as committed
                current = repo.throttle_row(conn, row["id"], client)
                return _Gate(refused_until=current["locked_until"] if current else steps[0])
        hit = after["failures"] == 0  # the count only returns to 0 on the attempt that fills it
        return _Gate(first_round=after["lockouts"] - hit == 0, locked_until=after["locked_until"] if hit else None)

    def _count_account_failure(self, row: dict[str, Any], gate: _Gate, now: datetime,
                               steps: list[datetime]) -> datetime | None:
        """A wrong password towards the account-wide count (only an address's first round); when the account lock
        starts, its end (mirrored into ``operators.locked_until`` for the admin list)."""
        if not gate.first_round:
            return None
        with self.db.write() as conn:
            star = repo.count_failure(conn, row["id"], ALL_CLIENTS, max_failures=self.account_max_failures,
                                      steps=steps, now=now)
            if star is None or star["failures"] != 0:
                return None
            repo.update_operator(conn, row["id"], {"locked_until": star["locked_until"]})
            return star["locked_until"]

    def sign_in_locks(self, operator_id: str) -> list[SignInLock]:
        """The account's throttle rows that hold a count or a lock (clean rows of known-good addresses left out)."""
        with self.db.read() as conn:
            rows = repo.throttle_rows(conn, operator_id)
        return [_sign_in_lock(r) for r in rows if r["failures"] or r["lockouts"] or r["locked_until"]]

    def unlock(self, operator_id: str, *, client: str | None = None, by: str = "") -> list[SignInLock]:
        """An admin lifts the account's sign-in locks and counts (every address, or only ``client``); returns
        what was lifted. Logged as a warning (the HTTP route is in the access log as well)."""
        with self.db.write() as conn:
            removed = repo.delete_throttle(conn, operator_id, client)
            if client in (None, ALL_CLIENTS):
                repo.update_operator(conn, operator_id, {"failed_attempts": 0, "locked_until": None})
        lifted = [_sign_in_lock(r) for r in removed if r["failures"] or r["lockouts"] or r["locked_until"]]
        now = self.clock()
        log.warning("sign-in unlock: operator %s, address %s, by %s: %d rows (%d locked)", operator_id,
                    client or "every", by or "?", len(lifted), sum(lock.locked(now) for lock in lifted))
        return lifted

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
