"""Where positions come from: a fixed kiosk spot, a simulated walk, Android's GPS, NMEA or gpsd receivers.

All providers share one shape: ``start()``, then ``latest()`` as often as the app likes (cheap, never
blocks), then ``stop()``. Streaming receivers (NMEA, gpsd) live in ``receivers.py``.
"""
from __future__ import annotations

import abc
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from terminal.clock import Clock, utc_now
from terminal.position.geo import bearing_deg, haversine_m


class PositionUnavailable(RuntimeError):
    """The position source cannot run on this device (no plyer, no receiver, ...)."""


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    accuracy_m: float | None  # None: the source gave no accuracy (a FixFilter rejects such fixes)
    timestamp: datetime       # timezone-aware UTC
    speed_mps: float | None = None
    heading_deg: float | None = None
    source: str = ""


class PositionProvider(abc.ABC):
    @abc.abstractmethod
    def start(self) -> None: ...

    @abc.abstractmethod
    def latest(self) -> Fix | None:
        """The newest fix, or None while there is none yet."""

    @abc.abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> PositionProvider:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FixedPositionProvider(PositionProvider):
    """A kiosk bolted to a wall: its surveyed position, stamped with the current time."""

    def __init__(self, lat: float, lon: float, accuracy_m: float = 5.0, *, clock: Clock = utc_now):
        self.lat, self.lon, self.accuracy_m, self.clock = lat, lon, accuracy_m, clock
        self._running = False

    def start(self) -> None:
        self._running = True

    def latest(self) -> Fix | None:
        if not self._running:
            return None
        return Fix(self.lat, self.lon, self.accuracy_m, self.clock(), speed_mps=0.0, source="fixed")

    def stop(self) -> None:
        self._running = False


class SimulatedTrackProvider(PositionProvider):
    """Walks ``waypoints`` [(lat, lon), ...] at ``speed_mps`` from start(), by the injected clock; stays at the end."""

    def __init__(self, waypoints: Sequence[tuple[float, float]], speed_mps: float = 1.2, *, clock: Clock = utc_now,
                 accuracy_m: float = 5.0):
        if len(waypoints) < 1:
            raise ValueError("a track needs at least one waypoint")
        if speed_mps <= 0:
            raise ValueError("speed must be positive")
        self.waypoints = [(float(lat), float(lon)) for lat, lon in waypoints]
        self.speed_mps, self.clock, self.accuracy_m = speed_mps, clock, accuracy_m
        self._started_at: datetime | None = None

    def start(self) -> None:
        self._started_at = self.clock()

    def latest(self) -> Fix | None:
        if self._started_at is None:
            return None
        now = self.clock()
        remaining = max(0.0, (now - self._started_at).total_seconds()) * self.speed_mps
        for (lat1, lon1), (lat2, lon2) in zip(self.waypoints, self.waypoints[1:], strict=False):
            leg = haversine_m(lat1, lon1, lat2, lon2)
            if remaining <= leg and leg > 0:
                share = remaining / leg  # linear in lat/lon: fine for legs of a few hundred metres
                return Fix(lat1 + (lat2 - lat1) * share, lon1 + (lon2 - lon1) * share, self.accuracy_m, now,
                           speed_mps=self.speed_mps, heading_deg=bearing_deg(lat1, lon1, lat2, lon2),
                           source="simulated")
            remaining -= leg
        lat, lon = self.waypoints[-1]
        return Fix(lat, lon, self.accuracy_m, now, speed_mps=0.0, source="simulated")

    def stop(self) -> None:
        self._started_at = None


class PlyerGpsProvider(PositionProvider):
    """Android/iOS location through plyer, imported only at start() so desktops never need it."""

    def __init__(self, *, min_time_ms: int = 1000, min_distance_m: float = 0, clock: Clock = utc_now):
        self.min_time_ms, self.min_distance_m, self.clock = min_time_ms, min_distance_m, clock
        self._lock = threading.Lock()
        self._latest: Fix | None = None
        self._gps: Any = None
        self.status: str | None = None

    def start(self) -> None:
        try:
            from plyer import gps
        except ImportError as exc:
            raise PositionUnavailable("PlyerGpsProvider needs the 'plyer' package (Android/iOS builds)") from exc
        try:
            gps.configure(on_location=self._on_location, on_status=self._on_status)
            gps.start(minTime=self.min_time_ms, minDistance=self.min_distance_m)
        except NotImplementedError as exc:
            raise PositionUnavailable("plyer has no GPS implementation on this platform") from exc
        self._gps = gps

    def _on_location(self, **kwargs: Any) -> None:
        # Called on the platform's thread with lat, lon, speed, bearing, altitude, accuracy.
        fix = Fix(float(kwargs["lat"]), float(kwargs["lon"]),
                  float(kwargs["accuracy"]) if kwargs.get("accuracy") is not None else None, self.clock(),
                  speed_mps=kwargs.get("speed"), heading_deg=kwargs.get("bearing"), source="plyer")
        with self._lock:
            self._latest = fix

    def _on_status(self, stype: str, status: Any) -> None:
        self.status = f"{stype}: {status}"

    def latest(self) -> Fix | None:
        with self._lock:
            return self._latest

    def stop(self) -> None:
        if self._gps is not None:
            self._gps.stop()
            self._gps = None


def position_from_config(config: Mapping[str, Any], *, clock: Clock = utc_now) -> PositionProvider:
    """Build a provider from a ``kind`` key: fixed, simulated, plyer, nmea or gpsd."""
    from terminal.position.receivers import GpsdProvider, NmeaProvider

    kind = config.get("kind")
    if kind == "fixed":
        return FixedPositionProvider(float(config["lat"]), float(config["lon"]),
                                     float(config.get("accuracy_m", 5.0)), clock=clock)
    if kind == "simulated":
        return SimulatedTrackProvider([tuple(p) for p in config["waypoints"]], float(config.get("speed_mps", 1.2)),
                                      clock=clock)
    if kind == "plyer":
        return PlyerGpsProvider(min_time_ms=int(config.get("min_time_ms", 1000)), clock=clock)
    if kind == "nmea":
        if "serial" in config:
            return NmeaProvider.from_serial(config["serial"], int(config.get("baudrate", 9600)), clock=clock)
        return NmeaProvider(config["path"], clock=clock)
    if kind == "gpsd":
        return GpsdProvider(config.get("host", "127.0.0.1"), int(config.get("port", 2947)), clock=clock)
    raise ValueError(f"unknown position kind {kind!r} (expected fixed, simulated, plyer, nmea or gpsd)")
