"""``UplinkLimiter``: a token bucket per device id, so one flooding or buggy device cannot crowd out the rest.

The bridge asks it about every uplink as the message comes off the wire (paho's network thread), before any
decoding or database work: one dict lookup and a little float arithmetic on a monotonic clock. A message
over the limit is not stored; ingest answers it with a ``Deferral`` in the device's receipt (``hub/mqtt/ingest.py``)
so the device keeps it and sends it again after ``retry_after_s``. Nothing is lost and nothing is written per
throttled message: the limiter only counts them, and ``hub/devices/flags.py`` turns the counts into one flag
row per device every few seconds.

Why the defaults (``HubSettings.device_burst`` = 20,000 messages, ``device_rate_per_s`` = 20/s): a terminal
that was offline for a day comes back with its whole backlog and drains it as fast as the hub receipts
(10,000 records and 100 photos' chunks in ``benchmarks/report_to_task_latency.py``'s backlog drain; a patrol
tablet fixing its position every 10 s makes 8,640 a day). That must pass untouched, so the bucket holds a
day's backlog; the sustained rate is about 100x what a busy device sends, and what a runaway loop is cut to.

Each hub worker in a share group keeps its own buckets and sees roughly 1/N of a device's messages, so the
effective limit is N x the configured one (docs/security.md, "Limits").
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from protocol import topics


class UplinkLimiter:
    """Not thread-safe for :meth:`admit` (one caller: the bridge's network thread); the throttle counts it
    keeps for :meth:`drain_throttled` are guarded, since the flag watch reads them from another thread."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_devices: int = 100_000):
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1 (use no limiter to turn the limit off)")
        self.rate, self.burst, self.clock, self.max_devices = rate_per_s, float(burst), clock, max_devices
        self.max_retry_after_s = burst / rate_per_s  # a full refill: the longest wait that can make sense
        # device id -> [tokens, last refill (clock), messages deferred since the last one admitted]
        self._buckets: dict[str, list[float]] = {}
        self._throttled: dict[str, int] = {}
        self._lock = threading.Lock()
        self.throttled_total = 0

    @classmethod
    def from_settings(cls, settings) -> UplinkLimiter | None:
        """None when the limit is off (``device_rate_per_s`` = 0)."""
        if settings.device_rate_per_s <= 0:
            return None
        return cls(settings.device_rate_per_s, settings.device_burst)

    def admit_topic(self, topic: str) -> float | None:
        """:meth:`admit` for an uplink topic's device; other topics (status, malformed ones) pass untouched,
        as do device ids the protocol would refuse (ingest dead-letters those; they get no bucket). An uplink of
        a kind the protocol does not know still takes a token: a device flooding junk is still a flood."""
        parts = topics.uplink_parts(topic)  # shape only, no regex: validation is admit's, once per new device
        return None if parts is None else self.admit(parts[0])

    def admit(self, device_id: str) -> float | None:
        """Take one token for ``device_id``: None if the message may pass, else the seconds after which the
        device should send again. That wait covers every message it has had deferred since its last admitted
        one, so a device that re-sends its deferred window at once finds the tokens for all of it."""
        now = self.clock()
        bucket = self._buckets.get(device_id)
        if bucket is None:
            if not topics.valid_device_id(device_id):
                return None
            if len(self._buckets) >= self.max_devices:
                self._forget_idle(now)
            self._buckets[device_id] = [self.burst - 1.0, now, 0.0]
            return None
        tokens = bucket[0] + (now - bucket[1]) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        bucket[1] = now
        if tokens >= 1.0 - 1e-9:  # a device back exactly on time must not lose to float rounding
            bucket[0] = max(0.0, tokens - 1.0)
            bucket[2] = 0.0
            return None
        bucket[0] = tokens
        bucket[2] += 1.0
        with self._lock:
            self._throttled[device_id] = self._throttled.get(device_id, 0) + 1
            self.throttled_total += 1
        return min((bucket[2] - tokens) / self.rate, self.max_retry_after_s)

    def _forget_idle(self, now: float) -> None:
        """Bounded memory: a device whose bucket has refilled is no different from one never seen. If every
        device is busy, the longest-known ones go (they come back with a full bucket; only a worker serving
        more than ``max_devices`` devices at once gets there)."""
        full_after = self.burst / self.rate
        for device_id in [d for d, b in self._buckets.items() if now - b[1] >= full_after]:
            del self._buckets[device_id]
        excess = len(self._buckets) - int(self.max_devices * 0.9)
        for device_id in list(self._buckets)[:max(0, excess)]:
            del self._buckets[device_id]

    @property
    def tracked_devices(self) -> int:
        return len(self._buckets)

    def drain_throttled(self) -> dict[str, int]:
        """{device id: messages over its limit} since the last call."""
        with self._lock:
            counts, self._throttled = self._throttled, {}
        return counts
