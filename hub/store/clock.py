"""The hub's notion of now: every component takes a ``Clock`` so tests (and replays) can move time."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
