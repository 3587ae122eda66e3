"""Device-minted, time-ordered record ids (UUIDv7, RFC 9562).

Python 3.11 has no ``uuid.uuid7``; this is the RFC layout: 48-bit Unix milliseconds,
version 7, 12 random bits, variant, 62 random bits. Ids minted later sort later (to the
millisecond), so the hub can order a device's records without trusting its sequence alone.
"""
from __future__ import annotations

import os
import re
import time
import uuid

_UUID7_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def uuid7(unix_ms: int | None = None, random_bytes: bytes | None = None) -> str:
    """A UUIDv7 string; ``unix_ms`` and ``random_bytes`` (10 bytes) may be injected for tests."""
    ms = int(time.time() * 1000) if unix_ms is None else unix_ms
    rand = os.urandom(10) if random_bytes is None else random_bytes
    if len(rand) != 10:
        raise ValueError("uuid7 needs 10 random bytes")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(rand[:2], "big") & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(rand[2:], "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_uuid7(text: str) -> bool:
    return bool(_UUID7_RE.match(text))


def uuid7_unix_ms(text: str) -> int:
    """The millisecond timestamp an id was minted at."""
    return uuid.UUID(text).int >> 80
