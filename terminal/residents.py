"""Resident identity: the hub sees a keyed hash of the card number, never the number itself.

HMAC (not a plain hash) because ID numbers are few and structured enough to brute-force
a bare SHA-256; the per-deployment key stays on terminals of that deployment.
"""
from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 16


def resident_key(card_number: str, deployment_key: str | bytes) -> str:
    """64 hex chars identifying the resident within one deployment."""
    key = deployment_key.encode() if isinstance(deployment_key, str) else bytes(deployment_key)
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"deployment key must be at least {MIN_KEY_BYTES} bytes")
    # Cards are typed or read in varying forms: "4404 0219..." and a lowercase check digit "x" are the same card.
    normalised = "".join(card_number.split()).upper()
    if not normalised:
        raise ValueError("card number is empty")
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
