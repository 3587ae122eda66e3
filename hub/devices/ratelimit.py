"""A sliding-window attempt limiter for the unauthenticated enrolment endpoint (injected clock)."""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class AttemptLimiter:
    """At most ``per_key`` attempts per key and ``overall`` in total within ``window``; a guesser spread
    over many addresses still meets the overall cap."""

    def __init__(self, per_key: int, overall: int, window: timedelta, clock: Callable[[], datetime],
                 max_keys: int = 10_000):
        self.per_key, self.overall, self.window, self.clock = per_key, overall, window, clock
        self.max_keys = max_keys
        self._by_key: dict[str, deque[datetime]] = {}
        self._all: deque[datetime] = deque()
        self._lock = threading.Lock()

    def _trim(self, times: deque[datetime], now: datetime) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def attempt(self, key: str) -> float | None:
        """Count one attempt; None if allowed, else seconds until the next one would be."""
        now = self.clock()
        with self._lock:
            self._trim(self._all, now)
            times = self._by_key.setdefault(key, deque())
            self._trim(times, now)
            for window_times, cap in ((times, self.per_key), (self._all, self.overall)):
                if len(window_times) >= cap:
                    return max(1.0, (window_times[0] + self.window - now).total_seconds())
            times.append(now)
            self._all.append(now)
            if len(self._by_key) > self.max_keys:  # forget idle addresses; memory stays bounded
                for stale in [k for k, v in self._by_key.items() if not v or v[-1] <= now - self.window]:
                    del self._by_key[stale]
            return None
