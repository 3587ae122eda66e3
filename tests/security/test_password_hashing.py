"""Passwords are hashed with Argon2id at OWASP's setting (issue 14): the hub's old scrypt hashes (N=2^14, below
OWASP's floor) still verify and are replaced by an Argon2id hash at the next successful sign-in, on SQLite and
PostgreSQL. Why Argon2id m=19 MiB t=2 p=1 and not scrypt N=2^17: benchmarks/password_hashing.py."""
from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from hub.auth import repo
from hub.auth.operators import AuthError, OperatorDirectory
from hub.auth.passwords import verify_password
from tests.security.signin_fixtures import PASSWORD, Accounts, accounts, signin_clock, signin_store  # noqa: F401

ARGON2ID_OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"


def old_scrypt_hash(password: str) -> str:
    """A hash as the hub wrote them before: scrypt N=2^14, r=8, p=1, in its own ``scrypt$...`` form."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def stored_hash(store, operator_id: str) -> str:
    with store.read() as conn:
        row = repo.operator(conn, operator_id)
    assert row is not None
    return row["password_hash"]


def test_new_hashes_are_argon2id_and_old_scrypt_ones_are_upgraded_at_sign_in(signin_store,
                                                                             accounts: Accounts):
    directory = OperatorDirectory(signin_store, clock=signin_store.clock)
    assert stored_hash(signin_store, accounts.admin).startswith(ARGON2ID_OWASP)  # made by create()

    with signin_store.write() as conn:  # an account from before the change
        repo.update_operator(conn, accounts.chen, {"password_hash": old_scrypt_hash(PASSWORD)})
    with pytest.raises(AuthError):
        directory.sign_in("chen", "not-the-password-1")
    assert stored_hash(signin_store, accounts.chen).startswith("scrypt$16384$")  # a wrong password changes nothing

    assert directory.sign_in("chen", PASSWORD).operator.id == accounts.chen  # the old hash verifies ...
    upgraded = stored_hash(signin_store, accounts.chen)
    assert upgraded.startswith(ARGON2ID_OWASP) and verify_password(PASSWORD, upgraded)  # ... and is replaced
    assert directory.sign_in("chen", PASSWORD).operator.id == accounts.chen
    assert stored_hash(signin_store, accounts.chen) == upgraded  # once: an up-to-date hash is kept
    with pytest.raises(AuthError):
        directory.sign_in("chen", "not-the-password-1")
