"""Administrative and grid codes: 15-digit grid code = division 6 + street 3 + community 3 + serial 3.

Below the grid, a building (楼栋) is the grid's code + a 3-digit serial (18 digits), e.g. ``440402001001003``
grid 3 → ``440402001001003012`` its building 12; the serial numbers buildings within their grid, from 001.

The division part is the GB/T 2260 county-level code (e.g. 440402 香洲区), the street and community
parts follow the GB/T 10114 style numbering under it, and the last three digits number the grid in its
community. Every level's code is a prefix of its children's, so the parent is derived, not stored twice.
"""
from __future__ import annotations

import re
from typing import NamedTuple

GRID_CODE_LEN = 15
BUILDING_CODE_LEN = 18
LEVEL_LENGTHS = {"city": 6, "district": 6, "street": 9, "community": 12, "grid": 15, "building": 18}
# GB/T 2260 province prefixes: 11–65 on the mainland, 71 Taiwan, 81/82 Hong Kong/Macao.
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
              50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
_DIGITS = re.compile(r"\d+")


class CodeError(ValueError):
    """A code that does not have the shape its level needs; the message says why."""


class GridCode(NamedTuple):
    division: str  # 6: county-level division (district)
    street: str  # 3
    community: str  # 3
    serial: str  # 3

    @property
    def code(self) -> str:
        return self.division + self.street + self.community + self.serial

    @property
    def street_code(self) -> str:
        return self.division + self.street

    @property
    def community_code(self) -> str:
        return self.division + self.street + self.community


def _check_part(value: str, width: int, what: str) -> str:
    if len(value) != width or not _DIGITS.fullmatch(value):
        raise CodeError(f"{what} must be {width} digits, got {value!r}")
    if int(value) == 0:
        raise CodeError(f"{what} {value!r} is all zeros; numbering starts at 1")
    return value


def _check_division(division: str) -> str:
    _check_part(division, 6, "division code")
    if int(division[:2]) not in _PROVINCES:
        raise CodeError(f"division code {division!r} has no province prefix {division[:2]!r} (GB/T 2260)")
    return division


def split_grid_code(code: str) -> GridCode:
    if not isinstance(code, str) or len(code) != GRID_CODE_LEN or not _DIGITS.fullmatch(code):
        raise CodeError(f"grid code must be {GRID_CODE_LEN} digits (division 6 + street 3 + community 3 + "
                        f"serial 3), got {code!r}")
    parts = GridCode(code[:6], code[6:9], code[9:12], code[12:])
    _check_division(parts.division)
    _check_part(parts.street, 3, "street part")
    _check_part(parts.community, 3, "community part")
    _check_part(parts.serial, 3, "grid serial")
    return parts


def validate_grid_code(code: str) -> str:
    """The code itself when it is a well-formed grid code; :class:`CodeError` otherwise."""
    return split_grid_code(code).code


def compose_grid_code(division: str | int, street: str | int, community: str | int, serial: str | int) -> str:
    """Build a grid code from its parts; numbers are zero-padded (street 4 → ``004``)."""
    def pad(value: str | int, width: int) -> str:
        return f"{value:0{width}d}" if isinstance(value, int) else str(value)

    return validate_grid_code(pad(division, 6) + pad(street, 3) + pad(community, 3) + pad(serial, 3))


def validate_unit_code(code: str, level: str) -> str:
    """Check ``code`` has its level's length and non-zero parts (city/district: a valid division code)."""
    if level not in LEVEL_LENGTHS:
        raise CodeError(f"unknown level {level!r}; expected one of {', '.join(LEVEL_LENGTHS)}")
    width = LEVEL_LENGTHS[level]
    if not isinstance(code, str) or len(code) != width or not _DIGITS.fullmatch(code):
        raise CodeError(f"{level} code must be {width} digits, got {code!r}")
    if level == "grid":
        return validate_grid_code(code)
    if level == "building":
        validate_grid_code(code[:GRID_CODE_LEN])
        _check_part(code[GRID_CODE_LEN:], 3, "building serial")
        return code
    _check_division(code[:6])
    if level == "city" and code[4:6] != "00":
        raise CodeError(f"city code {code!r} must end in 00 (GB/T 2260 prefecture level)")
    if level == "district" and code[4:6] == "00":
        raise CodeError(f"district code {code!r} ends in 00, which is a city-level code")
    if level in ("street", "community"):
        _check_part(code[6:9], 3, "street part")
    if level == "community":
        _check_part(code[9:12], 3, "community part")
    return code


def parent_code(code: str, level: str) -> str | None:
    """The code of the unit directly above: building → grid → community → street → district → city; a city has none.

    District → city is the GB/T 2260 rule (``440402`` → ``440400``); county-level cities directly under a
    province break it, so an explicit parent in imported data wins over this derivation.
    """
    validate_unit_code(code, level)
    if level == "city":
        return None
    if level == "district":
        return code[:4] + "00"
    return code[:LEVEL_LENGTHS[level] - 3]


def level_below(level: str) -> str | None:
    order = list(LEVEL_LENGTHS)
    index = order.index(level)
    return order[index + 1] if index + 1 < len(order) else None
