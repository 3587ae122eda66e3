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
from typing import Any

from hub.auth import repo
from hub.store.clock import utc_now
from hub.store.db import Database
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


def _key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["created_by"], row["created_at"], row["revoked_at"])


class ApiKeyRegistry:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now):
        self.db = db
        self.clock = clock

    def issue(self, name: str, created_by: str) -> tuple[ApiKey, str]:
        """A new key for ``name``; the secret is returned here and never again."""
        name = name.strip()
        if not name:
            raise ValueError("name the client the key is for")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        key_id = uuid7(int(now.timestamp() * 1000))
        with self.db.write() as conn:
            repo.insert_api_key(conn, {"id": key_id, "name": name[:64], "key_sha256": _hash(secret),
                                       "created_by": created_by, "created_at": now, "revoked_at": None})
        return self._existing(key_id), secret

    def get(self, key_id: str) -> ApiKey | None:
        with self.db.read() as conn:
            row = repo.api_key(conn, key_id)
        return _key(row) if row else None

    def _existing(self, key_id: str) -> ApiKey:
        found = self.get(key_id)
        if found is None:
            raise ValueError(f"no API key {key_id}")
        return found

    def all_keys(self) -> list[ApiKey]:
        with self.db.read() as conn:
            return [_key(r) for r in repo.all_api_keys(conn)]

    def revoke(self, key_id: str) -> ApiKey:
        with self.db.write() as conn:
            if repo.api_key(conn, key_id) is None:
                raise ValueError(f"no API key {key_id}")
            repo.revoke_api_key(conn, key_id, self.clock())
        return self._existing(key_id)

    def check(self, secret: str | None) -> ApiKey | None:
        """The live key behind ``secret``, or None (missing, unknown or revoked)."""
        if not secret or not secret.startswith(KEY_PREFIX):
            return None
        with self.db.read() as conn:
            row = repo.api_key_by_hash(conn, _hash(secret))
        return _key(row) if row is not None and row["revoked_at"] is None else None
