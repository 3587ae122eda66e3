"""A device proving who it is over HTTP with the same secret it uses for the broker: its account (= device id) and
the password handed over at enrolment, checked against the Mosquitto PBKDF2 hash the registry already stores
(``device_identities.password_hash``). No second secret store; a revoked or pending device has no password."""
from __future__ import annotations

from hub.devices import repo
from hub.devices.mosquitto_auth import verify_mosquitto_hash
from hub.store.db import Database
from protocol import topics


def device_password_ok(db: Database, device_id: str, password: str) -> bool:
    """True only for an active device whose broker password this is."""
    if not topics.valid_device_id(device_id) or not password:
        return False
    with db.read() as conn:
        rows = repo.identities(conn, device_id)
    if not rows or rows[0]["state"] != "active" or not rows[0]["password_hash"]:
        return False
    return verify_mosquitto_hash(password, rows[0]["password_hash"])
