"""NMEA 0183 GGA/RMC parsing, written here so serial GNSS receivers need no extra dependency.

Any talker is accepted (GP GPS, GN multi-constellation, BD/GB BeiDou, GL, GA), since Chinese receivers
commonly report as GN or BD. Sentences with a missing or wrong checksum are rejected: a corrupted
digit in a coordinate is a jump of kilometres.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

KNOTS_TO_MPS = 0.514444
# HDOP is unitless; multiplied by a typical user range error (~5 m for consumer GNSS) it gives a rough
# 1-sigma horizontal error. Crude, but the only accuracy hint GGA carries.
HDOP_TO_METRES = 5.0


class NmeaError(ValueError):
    pass


@dataclass(frozen=True)
class NmeaFix:
    kind: str                       # "GGA" or "RMC"
    lat: float | None
    lon: float | None
    utc_time: time | None
    utc_date: date | None = None    # RMC only
    valid: bool = True              # GGA quality > 0 / RMC status A
    hdop: float | None = None       # GGA only
    accuracy_m: float | None = None
    satellites: int | None = None
    altitude_m: float | None = None
    speed_mps: float | None = None  # RMC only
    course_deg: float | None = None

    def timestamp(self, fallback_date: date) -> datetime | None:
        if self.utc_time is None:
            return None
        return datetime.combine(self.utc_date or fallback_date, self.utc_time, tzinfo=UTC)


def checksum(body: str) -> int:
    value = 0
    for char in body:
        value ^= ord(char)
    return value


def split_sentence(line: str) -> list[str]:
    line = line.strip()
    if not line.startswith("$"):
        raise NmeaError("not an NMEA sentence")
    body, star, given = line[1:].partition("*")
    if not star or len(given) != 2:
        raise NmeaError("missing checksum")
    try:
        expected = int(given, 16)
    except ValueError as exc:
        raise NmeaError(f"bad checksum field {given!r}") from exc
    if checksum(body) != expected:
        raise NmeaError(f"checksum mismatch: {checksum(body):02X} != {given}")
    return body.split(",")


def coordinate(value: str, hemisphere: str, degree_digits: int) -> float | None:
    """ddmm.mmmm (lat) / dddmm.mmmm (lon) plus N/S/E/W to signed decimal degrees."""
    if not value:
        return None
    try:
        degrees = int(value[:degree_digits])
        minutes = float(value[degree_digits:])
    except ValueError as exc:
        raise NmeaError(f"bad coordinate {value!r}") from exc
    if minutes >= 60:
        raise NmeaError(f"bad minutes in {value!r}")
    result = degrees + minutes / 60
    if hemisphere in ("S", "W"):
        result = -result
    elif hemisphere not in ("N", "E"):
        raise NmeaError(f"bad hemisphere {hemisphere!r}")
    return result


def utc_time(value: str) -> time | None:
    if len(value) < 6:
        return None
    seconds = float(value[4:])
    whole = int(seconds)
    return time(int(value[:2]), int(value[2:4]), whole, int(round((seconds - whole) * 1e6)) % 1_000_000)


def rmc_date(value: str) -> date | None:
    """ddmmyy; two-digit years pivot at 80 (GPS began in 1980), so 94 is 1994 and 25 is 2025."""
    if len(value) != 6:
        return None
    year = int(value[4:6])
    return date(year + (1900 if year >= 80 else 2000), int(value[2:4]), int(value[:2]))


def optional_float(value: str) -> float | None:
    return float(value) if value else None


def parse_sentence(line: str) -> NmeaFix | None:
    """A GGA or RMC fix, None for other (valid) sentence types; NmeaError for corrupt input."""
    fields = split_sentence(line)
    kind = fields[0][-3:]
    try:
        if kind == "GGA" and len(fields) >= 10:
            hdop = optional_float(fields[8])
            return NmeaFix(kind="GGA", utc_time=utc_time(fields[1]), lat=coordinate(fields[2], fields[3], 2),
                           lon=coordinate(fields[4], fields[5], 3), valid=fields[6] not in ("", "0"),
                           satellites=int(fields[7]) if fields[7] else None, hdop=hdop,
                           accuracy_m=None if hdop is None else hdop * HDOP_TO_METRES,
                           altitude_m=optional_float(fields[9]))
        if kind == "RMC" and len(fields) >= 10:
            day = fields[9]
            speed = optional_float(fields[7])
            return NmeaFix(kind="RMC", utc_time=utc_time(fields[1]), valid=fields[2] == "A",
                           lat=coordinate(fields[3], fields[4], 2), lon=coordinate(fields[5], fields[6], 3),
                           speed_mps=None if speed is None else speed * KNOTS_TO_MPS,
                           course_deg=optional_float(fields[8]),
                           utc_date=rmc_date(day))
    except ValueError as exc:  # int()/float()/date() on a field that passed the checksum but is still nonsense
        raise NmeaError(f"malformed {kind}: {exc}") from exc
    return None


def with_checksum(body: str) -> str:
    """``GPGGA,...`` -> ``$GPGGA,...*hh`` (for simulators and tests)."""
    return f"${body}*{checksum(body):02X}"
