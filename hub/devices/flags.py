"""``SpoofWatch``: a device whose payload names another device is flagged for an admin to look at.

The broker ACL pins a device to topics carrying its own account name, and ingest dead-letters a payload
whose device id differs from the topic's (``device_mismatch``). So a mismatch means the authenticated
device itself sent a message claiming to be someone else: the topic's device is the one flagged.
Works from the dead-letter table, so ingest stays unaware of identities.
"""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from hub.store.tables import dead_letters
from protocol import TopicError, topics

from .identities import DeviceRegistry

log = logging.getLogger(__name__)

SPOOF_REASONS = ("device_mismatch",)


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
        query = (sa.select(dead_letters.c.id, dead_letters.c.topic, dead_letters.c.reason, dead_letters.c.detail,
                           dead_letters.c.device_id)
                 .where(dead_letters.c.reason.in_(SPOOF_REASONS), dead_letters.c.id > self.watermark)
                 .order_by(dead_letters.c.id).limit(self.batch))
        with self.registry.engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            sender = self._sender(row.topic, row.device_id)
            if sender:
                self.registry.flag(sender, row.reason, row.detail, row.id)
                log.warning("device %s flagged: %s (%s)", sender, row.reason, row.detail)
            self.watermark = row.id
        return len(rows)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                while self.scan_once() == self.batch:
                    pass
            except Exception:  # noqa: BLE001 - DB briefly unavailable: next period
                log.exception("spoof watch failed")
            stop.wait(self.interval_s)
