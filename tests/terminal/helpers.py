"""Small shared helpers for the terminal tests (real stores and devices, no mocks)."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from protocol import Position
from terminal.link import Backoff

SPOT = Position(lat=22.25, lon=113.53, accuracy_m=8.0)
FAST_BACKOFF = Backoff(minimum=0.1, maximum=0.5)


class StepClock:
    """A clock the test moves by hand; starts at a fixed instant."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
