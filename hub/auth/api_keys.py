"""API keys for Open311 clients: the GeoReport spec's ``api_key`` on POST service requests.

Reads of the Open311 facade stay public (the spec's model; they carry no personal data). Creating a
request does not: a key identifies the client system (the city hotline's, a mini-program's backend),
so abuse can be traced to it and stopped by revoking its key. Keys are 32 random bytes shown once to the
admin who issues them; only their SHA-256 is stored (a fast hash is enough for a random secret).
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from hub.org.repo import engine_of, write_tx
from hub.store.repository import utc_now
from hub.store.tables import api_keys
from protocol import uuid7

KEY_PREFIX = "g311_"  # recognisable in logs and secret scanners


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _key(row) -> ApiKey:
    return ApiKey(row.id, row.name, row.created_by, row.created_at, row.revoked_at)


class ApiKeyRegistry:
    def __init__(self, store_or_engine, clock: Callable[[], datetime] = utc_now):
        self.engine = engine_of(store_or_engine)
        self.clock = clock

    def issue(self, name: str, created_by: str) -> tuple[ApiKey, str]:
        """A new key for ``name``; the secret is returned here and never again."""
        name = name.strip()
        if not name:
            raise ValueError("name the client the key is for")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        key_id = uuid7(int(now.timestamp() * 1000))
        with write_tx(self.engine) as conn:
            conn.execute(sa.insert(api_keys), {"id": key_id, "name": name[:64], "key_sha256": _hash(secret),
                                               "created_by": created_by, "created_at": now, "revoked_at": None})
        return self.get(key_id), secret

    def get(self, key_id: str) -> ApiKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
        return _key(row) if row else None

    def all_keys(self) -> list[ApiKey]:
        with self.engine.connect() as conn:
            return [_key(r) for r in conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at))]

    def revoke(self, key_id: str) -> ApiKey:
        with write_tx(self.engine) as conn:
            if conn.execute(sa.select(api_keys.c.id).where(api_keys.c.id == key_id)).first() is None:
                raise ValueError(f"no API key {key_id}")
            conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                         .values(revoked_at=self.clock()))
        return self.get(key_id)

    def check(self, secret: str | None) -> ApiKey | None:
        """The live key behind ``secret``, or None (missing, unknown or revoked)."""
        if not secret or not secret.startswith(KEY_PREFIX):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_sha256 == _hash(secret))).first()
        return _key(row) if row is not None and row.revoked_at is None else None
