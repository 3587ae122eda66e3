"""On-screen input for a kiosk with no physical keyboard, as plain logic (the widgets in ``ui/keypad.py`` only draw
these keys and call these functions).

What the kiosk offers, and why: residents mostly type *numbers* (a card number, a receipt code) and *short
descriptions* of a handful of everyday problems. So: a large numeric pad (digits, plus X for ID numbers and A–F and
``-`` for receipt codes and references), one-touch common phrases (常用语) that append Chinese text, and Kivy's
VKeyboard (QWERTY) for any Latin text. Pinyin input and handwriting need a dictionary or a recogniser the kiosk does
not ship; they are out of scope, and the phrases cover what residents write most.
"""
from __future__ import annotations

DELETE, CLEAR = "\b", "\x18"  # the two editing keys, as the widgets send them

CARD_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", DELETE]
LOOKUP_KEYS = ["1", "2", "3", "A", "B", "4", "5", "6", "C", "D", "7", "8", "9", "E", "F", "-", "0", DELETE, CLEAR]
PHRASES = ["phrase.manhole", "phrase.garbage", "phrase.streetlight", "phrase.noise", "phrase.parking",
           "phrase.water", "phrase.tree", "phrase.ads", "phrase.urgent", "phrase.since_days"]
_SEPARATORS = "，。,.;；!！?？ "


def press(text: str, key: str, *, max_len: int) -> str:
    """``text`` after one key of a pad: a character is appended (up to ``max_len``), DELETE removes the last one,
    CLEAR empties it."""
    if key == DELETE:
        return text[:-1]
    if key == CLEAR:
        return ""
    return (text + key)[:max_len] if len(text) < max_len else text


def add_phrase(text: str, phrase: str, *, max_len: int) -> str:
    """``text`` with a common phrase appended, separated by a Chinese comma; a phrase already there is not
    repeated, and one that does not fit is not cut in half."""
    if phrase in text:
        return text
    joined = f"{text}，{phrase}" if text and text[-1] not in _SEPARATORS else text + phrase
    return joined if len(joined) <= max_len else text


def key_label(key: str, delete: str, clear: str) -> str:
    return {DELETE: delete, CLEAR: clear}.get(key, key)
