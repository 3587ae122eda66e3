"""Mask personal identifiers in free text before it is published (Open311 ``description``).

What is masked, each replaced as a whole by a bilingual tag (``MASKS``):

- mainland mobile numbers: ``1[3-9]`` + 9 digits, compact or grouped 3-4-4 with spaces or dashes, with an
  optional ``+86`` / ``0086`` / ``86`` / ``(+86)`` prefix;
- landlines: ``0`` + 2-3 digit area code + 7-8 digits (``0756-1234567``, ``(020)12345678``, ``010 12345678``),
  an extension (``-801``, ``转801``) included, or ``+86`` with the area code's 0 dropped;
- resident ID numbers: 18 digits (the last may be the check character ``X``), grouped 6-8-4 or compact, and the
  old 15-digit ones - both only when region and birth date are plausible, never by checksum (a mistyped number
  is still someone's);
- licence plates: province + letter + 5 characters (``粤C·12345``, ``粤C12345``, ``粤C1234学``,
  ``粤C1234挂``), new-energy ones of 8 characters (``粤C·D12345``, ``粤C12345D``), with ``·`` / space / dash
  after the letter, lowercase too;
- e-mail addresses.

Full-width digits, letters and ``＋ － ＠ （ ）`` as a Chinese IME types them are matched like ASCII ones
(folded one character for one, so the positions stay those of the original text). Numbers glued to letters or
digits (``A13812345678``), or to them by a dash (case ids such as ``0190a000-...-013812345678``), are part of
an identifier, not a phone number, and are left alone - as are dates (``2026-12-04``, ``20261204``), times,
amounts and postcodes.

Not recognised: numbers spelt in words (``一三八…``), QQ / WeChat ids, names and addresses. That is why an
operator can approve a public text instead (``cases.public_note``, ``PUT /api/cases/{id}/public-note``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PHONE, ID_NUMBER, PLATE, EMAIL = "phone", "id_number", "plate", "email"
MASKS: dict[str, str] = {
    PHONE: "[电话已隐去 phone hidden]",
    ID_NUMBER: "[证件号已隐去 ID number hidden]",
    PLATE: "[车牌已隐去 plate hidden]",
    EMAIL: "[邮箱已隐去 e-mail hidden]",
}

# One character for one: full-width forms (U+FF01..U+FF5E) to ASCII, the ideographic space, and the dots
# people put in plates.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: ord(" "), 0x2022: ord("·"), 0x30FB: ord("·"), 0x2027: ord("·"), 0x2212: ord("-"),
              0x2010: ord("-"), 0x2011: ord("-"), 0x2013: ord("-"), 0x2014: ord("-")})

# Not glued to an identifier: no letter/digit (or letter/digit + dash) right before or after.
_START = r"(?<![0-9A-Za-z])(?<![0-9A-Za-z]-)"
_END = r"(?![0-9A-Za-z])(?!-[0-9A-Za-z])"
_SEP = r"[ -]?"
_COUNTRY = r"(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)"
_MOBILE = rf"{_COUNTRY}?1[3-9][0-9]{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}"
_EXTENSION = r"(?:(?:-|转|ext\.?)[0-9]{1,6})?"
_LANDLINE = (rf"(?:0[1-9][0-9]{{1,2}}|\(0[1-9][0-9]{{1,2}}\)){_SEP}[1-9][0-9]{{6,7}}"
             rf"|(?:\+|00)86{_SEP}[1-9][0-9]{{1,2}}{_SEP}[1-9][0-9]{{6,7}}")
_REGION = r"[1-8][0-9]{5}"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_ID18 = rf"{_REGION} ?(?:18|19|20)[0-9]{{2}}{_MONTH_DAY} ?[0-9]{{3}}[0-9Xx]"
_ID15 = rf"{_REGION}[0-9]{{2}}{_MONTH_DAY}[0-9]{{3}}"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9]"
_PLATE = rf"[{_PROVINCES}][A-Za-z][·. -]?(?:{_PLATE_CHAR}{{5,6}}|{_PLATE_CHAR}{{4}}[挂学警港澳领试超使])"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

# Longest first where two could match the same place (an ID number holds phone-like runs).
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (EMAIL, re.compile(rf"(?<![A-Za-z0-9._%+-]){_EMAIL}(?![A-Za-z0-9])")),
    (ID_NUMBER, re.compile(rf"{_START}(?:{_ID18}|{_ID15}){_END}")),
    (PHONE, re.compile(rf"{_START}(?:{_MOBILE}|{_LANDLINE}){_EXTENSION}{_END}")),
    (PLATE, re.compile(rf"{_PLATE}(?![0-9A-Za-z])")),
]


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


def find(text: str) -> list[Finding]:
    """The identifiers in ``text``, in order, overlaps resolved (the earlier, then the longer one wins)."""
    folded = text.translate(_FOLD)
    found: list[Finding] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            if kind == PLATE and not any(c.isdigit() for c in m.group()[2:]):
                continue  # 京ABCDE: letters only after the province is a word, not a plate
            found.append(Finding(kind, m.start(), m.end()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for f in found:
        if kept and f.start < kept[-1].end:
            if f.end > kept[-1].end:  # overlapping: one mask over both
                kept[-1] = Finding(kept[-1].kind, kept[-1].start, f.end)
            continue
        kept.append(f)
    return kept


def redact(text: str | None) -> str:
    """``text`` with every identifier :func:`find` sees replaced by its mask (``MASKS``)."""
    if not text:
        return ""
    parts: list[str] = []
    at = 0
    for f in find(text):
        parts += [text[at:f.start], MASKS[f.kind]]
        at = f.end
    parts.append(text[at:])
    return "".join(parts)


__all__ = ["EMAIL", "ID_NUMBER", "MASKS", "PHONE", "PLATE", "Finding", "find", "redact"]
