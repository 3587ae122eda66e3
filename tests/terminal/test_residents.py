"""Resident keys: keyed, normalised, and never the card number."""
from __future__ import annotations

import hashlib

import pytest

from terminal.residents import resident_key

KEY = "deployment-key-xiangzhou-2025"
CARD = "44040219800101123X"


def test_resident_key_is_keyed_and_normalised():
    key = resident_key(CARD, KEY)
    assert len(key) == 64 and int(key, 16) >= 0
    assert resident_key(" 4404 0219 8001 0112 3x ", KEY) == key
    assert resident_key(CARD, KEY + "-other") != key
    assert key != hashlib.sha256(CARD.encode()).hexdigest()  # not a bare, brute-forceable hash
    assert CARD not in key


def test_resident_key_refuses_weak_input():
    with pytest.raises(ValueError):
        resident_key(CARD, "short")
    with pytest.raises(ValueError):
        resident_key("   ", KEY)
