"""Positions for terminal apps: providers (fixed, simulated, Android, NMEA, gpsd) and patrol tracking."""
from __future__ import annotations

from terminal.position.geo import haversine_m
from terminal.position.patrol import FilterDecision, FixFilter, PatrolSession, PatrolSummary
from terminal.position.providers import (
    Fix,
    FixedPositionProvider,
    PlyerGpsProvider,
    PositionProvider,
    PositionUnavailable,
    SimulatedTrackProvider,
    position_from_config,
)
from terminal.position.receivers import GpsdProvider, NmeaProvider

__all__ = [
    "Fix", "FixedPositionProvider", "PlyerGpsProvider", "PositionProvider", "PositionUnavailable",
    "SimulatedTrackProvider", "position_from_config", "GpsdProvider", "NmeaProvider", "haversine_m",
    "FilterDecision", "FixFilter", "PatrolSession", "PatrolSummary",
]
