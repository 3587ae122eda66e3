"""Device flags for an admin to look at: ``SpoofWatch`` (a device whose payload names another device) and
``RateLimitWatch`` (a device over its uplink rate limit).

The broker ACL pins a device to topics carrying its own account name, and ingest dead-letters a payload
whose device id differs from the topic's (``device_mismatch``). So a mismatch means the authenticated
device itself sent a message claiming to be someone else: the topic's device is the one flagged.
Works from the dead-letter table, so ingest stays unaware of identities.
"""
from __future__ import annotations

import logging
import threading

from hub.devices.identities import DeviceRegistry
from hub.mqtt.uplink_limit import UplinkLimiter
from hub.store import dead_letters as dead_letter_rows
from protocol import TopicError, topics

log = logging.getLogger(__name__)

SPOOF_REASONS = ("device_mismatch",)
RATE_LIMITED = "rate_limited"


class SpoofWatch:
    def __init__(self, registry: DeviceRegistry, interval_s: float = 2.0, batch: int = 500):
        self.registry = registry
        self.interval_s = interval_s
        self.batch = batch
        self.watermark: int | None = None  # last dead-letter id looked at

    @staticmethod
    def _sender(topic: str, recorded: str | None) -> str | None:
        try:
            return topics.parse(topic).device_id or recorded
        except TopicError:
            return recorded

    def scan_once(self) -> int:
        """Flag the senders of spoofing dead letters newer than the watermark; returns how many."""
        if self.watermark is None:  # flags record the dead letter that raised them: resume after it
            self.watermark = self.registry.last_flagged_dead_letter()
        with self.registry.db.read() as conn:
            rows = dead_letter_rows.after(conn, self.watermark, SPOOF_REASONS, self.batch)
        for row in rows:
            sender = self._sender(row.topic, row.device_id)
            if sender:
                self.registry.flag(sender, row.reason, row.detail, row.id)
                log.warning("device %s flagged: %s (%s)", sender, row.reason, row.detail, extra={"device_id": sender})
            self.watermark = row.id
        return len(rows)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                while self.scan_once() == self.batch:
                    pass
            except Exception:
                log.exception("spoof watch failed")
            stop.wait(self.interval_s)


class RateLimitWatch:
    """Turns the limiter's in-memory counts into the device's flag (reason ``rate_limited``, ``count`` = messages
    over the limit so far): one row per device, written every ``interval_s``, never one per throttled message,
    so a flood does not become database load. An open flag with another reason (spoofing) is left as it is:
    it matters more, and the counts remain in ``/api/health``'s ``rate_limited`` and the log."""

    def __init__(self, registry: DeviceRegistry, limiter: UplinkLimiter, interval_s: float = 5.0):
        self.registry = registry
        self.limiter = limiter
        self.interval_s = interval_s
        self._unwritten: dict[str, int] = {}  # counts kept across a failed write

    def flush_once(self) -> int:
        """Write the counts gathered since the last flush; returns how many messages they cover."""
        for device_id, n in self.limiter.drain_throttled().items():
            self._unwritten[device_id] = self._unwritten.get(device_id, 0) + n
        if not self._unwritten:
            return 0
        open_flags = self.registry.flags(list(self._unwritten))
        written = 0
        for device_id, n in list(self._unwritten.items()):
            other = open_flags.get(device_id)
            if other is not None and other.reason != RATE_LIMITED:
                log.warning("device %s: %d uplink message(s) over its rate limit (open %s flag kept)",
                            device_id, n, other.reason, extra={"device_id": device_id})
            else:
                detail = (f"{n} uplink message(s) deferred in the last {self.interval_s:g}s: over "
                          f"{self.limiter.rate:g}/s after a burst of {self.limiter.burst:.0f} (per hub worker)")
                self.registry.flag(device_id, RATE_LIMITED, detail, times=n)
                log.warning("device %s flagged: %s", device_id, detail, extra={"device_id": device_id})
            del self._unwritten[device_id]
            written += n
        return written

    def run_forever(self, stop: threading.Event) -> None:
        while True:
            stopping = stop.wait(self.interval_s)
            try:
                self.flush_once()
            except Exception:
                log.exception("rate-limit flags failed")
            if stopping:
                return
