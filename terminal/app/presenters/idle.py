"""Kiosk idle return: after ``timeout_s`` without a touch, the kiosk goes back home and forgets the half-done form
(the next resident must not see the last one's card or note)."""
from __future__ import annotations

import time
from collections.abc import Callable


class IdleTimer:
    def __init__(self, timeout_s: float, *, clock: Callable[[], float] = time.monotonic):
        if timeout_s <= 0:
            raise ValueError("idle timeout must be positive")
        self.timeout_s, self.clock = timeout_s, clock
        self._last = clock()

    def touched(self) -> None:
        self._last = self.clock()

    def idle_for(self) -> float:
        return max(0.0, self.clock() - self._last)

    def should_go_home(self, current_screen: str, home: str = "home") -> bool:
        """True once per idle spell when away from home; the reset means the next check waits a full timeout."""
        if current_screen == home or self.idle_for() < self.timeout_s:
            return False
        self._last = self.clock()
        return True
