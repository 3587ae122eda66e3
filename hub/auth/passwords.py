"""Password hashing: Argon2id (argon2-cffi) for new hashes; scrypt hashes from before still verify.

Stored forms:

- ``$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`` (the PHC string argon2-cffi writes), made by
  :func:`hash_password` with :data:`HASHING`;
- ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``: hashes written before Argon2id (N=2^14, below OWASP's floor).

:func:`needs_rehash` is true for any hash not made with exactly :data:`HASHING`, so the next successful sign-in
stores a fresh one (``OperatorDirectory.sign_in``): old scrypt hashes, and Argon2id hashes of an older cost, are
upgraded without anyone noticing. Why Argon2id with these costs: ``benchmarks/password_hashing.py``.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 10
_DKLEN = 32
_SCRYPT_MAXMEM = 512 * 1024 * 1024


@dataclass(frozen=True)
class Argon2idCost:
    """OWASP Password Storage Cheat Sheet: Argon2id with at least m=19 MiB, t=2, p=1 (or an equivalent trade)."""
    memory_kib: int
    time_cost: int
    parallelism: int = 1

    @property
    def hasher(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism,
                              hash_len=32, salt_len=16, type=Type.ID)


@dataclass(frozen=True)
class ScryptCost:
    """OWASP: scrypt with at least N=2^17, r=8, p=1 (128 MiB per hash). The hub wrote N=2^14 before Argon2id."""
    n: int
    r: int = 8
    p: int = 1


ARGON2ID = Argon2idCost(memory_kib=19 * 1024, time_cost=2, parallelism=1)  # OWASP's first Argon2id setting
HASHING: Argon2idCost | ScryptCost = ARGON2ID  # what new hashes are made with
LEGACY_SCRYPT = ScryptCost(n=2**14)  # the hub's hashes before Argon2id: verified, then upgraded on sign-in


class WeakPassword(ValueError):
    pass


def check_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"密码至少 {MIN_PASSWORD_CHARS} 位 / at least {MIN_PASSWORD_CHARS} characters")
    if username and username.lower() in password.lower():
        raise WeakPassword("密码不能包含用户名 / must not contain the user name")
    if len(set(password)) < 4:
        raise WeakPassword("密码过于简单 / too simple")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, cost: ScryptCost, dklen: int = _DKLEN) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, dklen=dklen,
                          maxmem=_SCRYPT_MAXMEM)


def hash_password(password: str, cost: Argon2idCost | ScryptCost | None = None) -> str:
    """A salted hash of ``password`` with ``cost`` (default: :data:`HASHING`)."""
    cost = cost or HASHING
    if isinstance(cost, ScryptCost):
        salt = secrets.token_bytes(16)
        return f"scrypt${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(_scrypt(password, salt, cost))}"
    return cost.hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (Argon2id or scrypt); False for anything malformed."""
    if stored.startswith("$argon2"):
        try:
            return PasswordHasher().verify(stored, password)  # the costs are read from the hash itself
        except (VerificationError, InvalidHashError, ValueError):
            return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), ScryptCost(int(n), int(r), int(p)), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True unless ``stored`` was made with exactly :data:`HASHING` (another scheme or another cost)."""
    cost = HASHING
    if isinstance(cost, Argon2idCost):
        if not stored.startswith("$argon2id$"):
            return True
        try:
            return cost.hasher.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True
    parts = stored.split("$")
    try:
        return len(parts) != 6 or parts[0] != "scrypt" or ScryptCost(int(parts[1]), int(parts[2]),
                                                                      int(parts[3])) != cost
    except ValueError:
        return True


@functools.cache
def dummy_hash() -> str:
    """A fixed hash to verify against when the user does not exist, so sign-in takes as long either way (made on
    first use, not at import: every hub process and CLI command would pay for it)."""
    return hash_password(secrets.token_urlsafe(12))
