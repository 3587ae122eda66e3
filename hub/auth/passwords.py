"""Password hashing with scrypt (memory-hard KDF, in the standard library — no native wheel to ship).

Stored form: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``, so the cost can rise later and old hashes
still verify (``needs_rehash`` tells the sign-in path to upgrade them).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1  # ~16 MiB per hash: slow for an attacker's GPU, ~50 ms here
MIN_PASSWORD_CHARS = 10
_DKLEN = 32


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


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=256 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or (int(parts[1]), int(parts[2]), int(parts[3])) != (N, R, P)


# A fixed hash to verify against when the user does not exist, so sign-in takes as long either way.
DUMMY_HASH = hash_password(secrets.token_urlsafe(12))
