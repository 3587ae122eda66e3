"""``DeviceRegistry``: who may speak as which device. Registration with a one-time enrolment code, the
exchange of that code for the device's own broker password, revocation, and spoofing flags.

The enrolment code is shown once (to the admin, as text and QR); only its SHA-256 is stored, and it is
cleared when used. The broker password is generated here, handed to the device once, and stored only as
Mosquitto's PBKDF2 hash (what the password file needs). The device id is also its broker account and,
on the device listener, its client id.
"""
from __future__ import annotations

import builtins
import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.devices import repo
from hub.devices.mosquitto_auth import BrokerAccount, mosquitto_hash
from hub.org import repo as org_repo
from hub.org.repo import DeviceBinding
from hub.store import batch as presence
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.store.vocabulary import DEVICE_KINDS
from protocol import topics

# No 0/O, 1/I/L, U: read aloud or typed from a sticker without mistakes. 12 of 31 symbols ≈ 59 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
DEFAULT_CODE_TTL = timedelta(hours=24)


class IdentityError(ValueError):
    """A refused identity operation; ``code`` is stable for API clients."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DeviceFlag:
    reason: str
    detail: str
    count: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    state: str  # pending | active | revoked
    kind: str | None
    unit_code: str | None
    owner_person_id: str | None
    created_at: datetime
    enrolled_at: datetime | None
    enroll_expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str
    flag: DeviceFlag | None


@dataclass(frozen=True)
class EnrollmentCode:
    device_id: str
    code: str  # shown once
    expires_at: datetime


@dataclass(frozen=True)
class Enrolled:
    device_id: str
    username: str
    password: str  # shown once, to the device


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


class DeviceRegistry:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now,
                 code_ttl: timedelta = DEFAULT_CODE_TTL, reserved: Iterable[str] = ()):
        self.db = db
        self.clock = clock
        self.code_ttl = code_ttl
        self.reserved = {name for name in reserved if name}  # e.g. the hub's own broker account

    # -- registration and enrolment --------------------------------------------------------------
    def register(self, device_id: str, *, kind: str, unit_code: str, owner_person_id: str | None = None,
                 by: str) -> EnrollmentCode:
        if not topics.valid_device_id(device_id):
            raise IdentityError("bad_device_id", f"设备编号无效 / device id must match {topics.DEVICE_ID_PATTERN}")
        if device_id in self.reserved:
            raise IdentityError("reserved", f"{device_id} is the hub's own broker account")
        if kind not in DEVICE_KINDS:
            raise IdentityError("bad_kind", f"kind must be one of {', '.join(DEVICE_KINDS)}")
        now = self.clock()
        code = new_code()
        with self.db.write() as conn:
            if repo.identity_state(conn, device_id) is not None:
                raise IdentityError("exists", f"设备 {device_id} 已登记 / already registered; issue a new code instead")
            if not org_repo.existing_unit_codes(conn, [unit_code]):
                raise IdentityError("unknown_unit", f"no unit {unit_code}")
            if owner_person_id and org_repo.person(conn, owner_person_id) is None:
                raise IdentityError("unknown_person", f"no person {owner_person_id}")
            org_repo.save_device_bindings(conn, [DeviceBinding(device_id, kind, unit_code, owner_person_id)])
            repo.insert_identity(conn, {
                "device_id": device_id, "state": "pending", "password_hash": None,
                "enroll_code_sha256": code_hash(code), "enroll_expires_at": now + self.code_ttl,
                "created_at": now, "created_by": by, "enrolled_at": None, "revoked_at": None, "revoked_by": None,
                "revoke_reason": "", "updated_at": now})
        return EnrollmentCode(device_id, code, now + self.code_ttl)

    def issue_code(self, device_id: str, *, by: str) -> EnrollmentCode:
        """A fresh one-time code (the old one stops working). An active device keeps its password until the
        new code is used; a revoked one comes back only through it."""
        now = self.clock()
        code = new_code()
        with self.db.write() as conn:
            state = repo.identity_state(conn, device_id)
            if state is None:
                raise IdentityError("not_found", f"no device {device_id}")
            repo.update_identity(conn, device_id, {
                "enroll_code_sha256": code_hash(code), "enroll_expires_at": now + self.code_ttl,
                "state": "active" if state == "active" else "pending", "updated_at": now})
            if state == "revoked":
                presence.clear_revoked(conn, device_id, self.clock())
        return EnrollmentCode(device_id, code, now + self.code_ttl)

    def enroll(self, code: str) -> Enrolled:
        """Exchange a one-time code for the device's broker password. Every failure reads the same to the
        caller (no hint whether a code exists)."""
        refused = IdentityError("bad_code", "注册码无效或已过期 / invalid or expired enrolment code")
        if len(normalize_code(code)) != CODE_LENGTH:
            raise refused
        digest, now = code_hash(code), self.clock()
        password = secrets.token_urlsafe(32)
        with self.db.write() as conn:
            found = repo.by_code(conn, digest)
            if found is None or found[1] is None or found[1] <= now:
                raise refused
            device_id = found[0]
            # Conditional on the code still being there: two racing exchanges, one winner.
            if not repo.update_identity(conn, device_id, {
                    "state": "active", "password_hash": mosquitto_hash(password), "enroll_code_sha256": None,
                    "enroll_expires_at": None, "enrolled_at": now, "revoked_at": None, "revoked_by": None,
                    "revoke_reason": "", "updated_at": now}, code_sha256=digest):
                raise refused
        return Enrolled(device_id, device_id, password)

    def revoke(self, device_id: str, *, by: str, reason: str = "") -> DeviceIdentity:
        """Out of the broker's password file at the next sync (the broker then drops its connection);
        everything it already sent stays stored. Its presence turns ``revoked`` in the same transaction (the
        device list, the map and the live stream show it at once) and stays so whatever the device still sends,
        until a new enrolment code is issued."""
        now = self.clock()
        with self.db.write() as conn:
            if not repo.update_identity(conn, device_id, {
                    "state": "revoked", "password_hash": None, "enroll_code_sha256": None, "enroll_expires_at": None,
                    "revoked_at": now, "revoked_by": by, "revoke_reason": reason[:500], "updated_at": now}):
                raise IdentityError("not_found", f"no device {device_id}")
            # Stamped inside the transaction (the write gate may have made us wait): the live stream's cursor
            # must not have passed it already.
            presence.mark_revoked(conn, device_id, self.clock())
        revoked = self.get(device_id)
        assert revoked is not None  # just written
        return revoked

    # -- spoofing flags --------------------------------------------------------------------------
    def flag(self, device_id: str, reason: str, detail: str = "", dead_letter_id: int | None = None,
             times: int = 1) -> None:
        """Raise (or re-raise) the device's flag; ``count`` grows by ``times`` (the events this call reports)."""
        now = self.clock()
        with self.db.write() as conn:
            if not repo.flag_exists(conn, device_id):
                repo.insert_flag(conn, {
                    "device_id": device_id, "reason": reason, "detail": detail[:1000], "count": times, "first_at": now,
                    "last_at": now, "last_dead_letter_id": dead_letter_id, "cleared_at": None, "cleared_by": None})
                return
            # A flag raised by no dead letter (rate_limited) keeps the row's watermark: SpoofWatch resumes from it.
            watermark = {} if dead_letter_id is None else {"last_dead_letter_id": dead_letter_id}
            repo.raise_flag(conn, device_id, {"reason": reason, "detail": detail[:1000], "last_at": now, **watermark},
                            times)

    def clear_flag(self, device_id: str, *, by: str) -> bool:
        with self.db.write() as conn:
            return repo.clear_flag(conn, device_id, self.clock(), by)

    def last_flagged_dead_letter(self) -> int:
        with self.db.read() as conn:
            return repo.last_flagged_dead_letter(conn)

    # -- reads -----------------------------------------------------------------------------------
    @staticmethod
    def _identity(m: dict[str, Any]) -> DeviceIdentity:
        flag = None
        if m["flag_reason"] is not None and m["flag_cleared_at"] is None:
            flag = DeviceFlag(m["flag_reason"], m["flag_detail"], m["flag_count"], m["flag_first_at"],
                              m["flag_last_at"])
        return DeviceIdentity(m["device_id"], m["state"], m["kind"], m["unit_code"], m["owner_person_id"],
                              m["created_at"], m["enrolled_at"], m["enroll_expires_at"], m["revoked_at"],
                              m["revoke_reason"], flag)

    def get(self, device_id: str) -> DeviceIdentity | None:
        with self.db.read() as conn:
            rows = repo.identities(conn, device_id)
        return self._identity(rows[0]) if rows else None

    def list(self) -> builtins.list[DeviceIdentity]:
        with self.db.read() as conn:
            return [self._identity(r) for r in repo.identities(conn)]

    def flags(self, device_ids: Iterable[str] | None = None) -> dict[str, DeviceFlag]:
        """Open flags, also for devices never registered (spoofing seen on an anonymous broker)."""
        with self.db.read() as conn:
            return {r["device_id"]: DeviceFlag(r["reason"], r["detail"], r["count"], r["first_at"], r["last_at"])
                    for r in repo.open_flags(conn, device_ids)}

    def states(self) -> dict[str, str]:
        with self.db.read() as conn:
            return repo.states(conn)

    def broker_accounts(self) -> builtins.list[BrokerAccount]:
        """Active devices with a password: exactly who the broker's password file lets in."""
        with self.db.read() as conn:
            return [BrokerAccount(d, h) for d, h in repo.broker_accounts(conn)]


def with_identity(db: Database, devices: Sequence[Any]) -> list[Any]:
    """Presence rows (``DeviceOut``) with their identity state and open spoofing flag, for ``/api/devices``."""
    registry = DeviceRegistry(db)
    states, flags = registry.states(), registry.flags([d.id for d in devices])
    return [d.model_copy(update={"identity": states.get(d.id),
                                 "flagged": flags[d.id].reason if d.id in flags else None}) for d in devices]
