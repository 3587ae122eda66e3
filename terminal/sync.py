"""The sync engine: drains the outbox over the link and retires records only on hub receipts.

All store work happens on one worker thread fed by a queue; paho's network thread only
enqueues events, so a slow fsync never stalls keepalives. State in memory (what is in flight)
is a cache: on every reconnect it is dropped and rebuilt from the store, so a crash or a lost
PUBACK costs at most a duplicate send, which the hub absorbs by record id.

A receipt may defer some uplinks (the hub's per-device rate limit): they stay pending, and no record, chunk or
deferred confirmation goes out until the longest ``retry_after_s`` has passed (a per-device hold, in memory:
after a restart the worst case is one more round of deferrals).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from protocol import (
    Deferral,
    DeliveryState,
    DownlinkConfirm,
    DownlinkMessage,
    Heartbeat,
    HubStatus,
    PhotoChunk,
    ProtocolError,
    Receipt,
    UplinkKind,
    decode_downlink,
    decode_receipt,
    decode_status,
    encode,
    topics,
)
from terminal.link import SyncLink
from terminal.photos import PhotoCorruptError, slice_chunk
from terminal.store import ChunkRef, TerminalStore

log = logging.getLogger(__name__)

PHOTO_CACHE_SIZE = 4  # whole photos kept in memory while their chunks are in flight


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    hub_online: bool | None  # None until the hub's retained status has been seen
    auth_error: str | None
    outbox: dict[str, dict[str, int]]  # {kind: {state: n}}
    pending: int  # records not yet receipted
    in_flight: int  # records published and awaiting PUBACK or receipt
    photos_pending: int
    upload_chunks_acked: int
    upload_chunks_total: int
    corrupt_photos: int
    last_sync_at: datetime | None  # last receipt that retired something
    held_for_s: float = 0.0  # the hub asked for a pause (rate limit): uplinks resume after this long


class SyncEngine:
    def __init__(self, store: TerminalStore, link: SyncLink, *, window: int = 100, chunk_window: int = 8,
                 ack_timeout: float = 30.0, heartbeat_interval: float = 60.0, app_version: str = "",
                 on_downlink: Callable[[DownlinkMessage], None] | None = None,
                 thin_threshold: int = 20_000, thin_interval_s: float = 30.0, tick: float = 0.5):
        self.store = store
        self.link = link
        self.window = window
        self.chunk_window = chunk_window
        self.ack_timeout = ack_timeout
        self.heartbeat_interval = heartbeat_interval
        self.app_version = app_version[:40]
        self.on_downlink = on_downlink
        self.thin_threshold = thin_threshold
        self.thin_interval_s = thin_interval_s
        self.tick = tick
        self.device_id = store.device_id
        self.hub_online: bool | None = None
        self.last_sync_at: datetime | None = None
        self._events: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._kicked = threading.Event()
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._started_at = time.monotonic()
        # mid -> what it carries, until PUBACK; then the item waits in the in-flight map for a receipt.
        self._by_mid: dict[int, tuple[str, object]] = {}
        self._session_ready = False  # set by the worker once it has handled the link's "connected" event
        self._records_in_flight: dict[str, float] = {}  # record id -> monotonic publish time
        self._chunks_in_flight: dict[tuple[str, int], float] = {}
        self._photo_cache: OrderedDict[str, bytes] = OrderedDict()
        self._last_heartbeat = 0.0
        self._last_thin = 0.0
        self._hold_until = 0.0  # monotonic: no records or chunks before this (the hub deferred some)
        self._deferred_confirms: set[str] = set()  # downlink ids whose confirmation the hub put off

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        cb = self.link.callbacks
        cb.on_connected = lambda session_present: self._events.put(("connected", session_present))
        cb.on_disconnected = lambda reason: self._events.put(("disconnected", reason))
        cb.on_message = lambda topic, payload: self._events.put(("message", topic, payload))
        cb.on_published = lambda mid: self._events.put(("published", mid))
        cb.on_auth_failed = lambda reason: self._events.put(("auth_failed", reason))
        self.store.requeue_sent()  # whatever was in flight before a restart gets sent again
        self.store.requeue_sent_chunks()
        self._worker = threading.Thread(target=self._run, name=f"sync-{self.device_id}", daemon=True)
        self._worker.start()
        self._events.put(("redeliver",))
        self.link.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.link.stop(timeout)
        self._stopping.set()
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None

    def kick(self) -> None:
        """A new record is in the store: drain soon (coalesced, so bursts cost one wake-up)."""
        if not self._kicked.is_set():
            self._kicked.set()
            self._events.put(("drain",))

    def confirm_read(self, message_id: str) -> None:
        self._events.put(("confirm", message_id))

    def status(self) -> SyncStatus:
        acked, total = self.store.upload_progress()
        return SyncStatus(
            online=self.link.connected, hub_online=self.hub_online, auth_error=self.link.auth_error,
            outbox=self.store.counts(), pending=self.store.outbox_depth(), in_flight=len(self._records_in_flight),
            photos_pending=self.store.photos_pending(), upload_chunks_acked=acked, upload_chunks_total=total,
            corrupt_photos=len(self.store.corrupt_photos()), last_sync_at=self.last_sync_at,
            held_for_s=max(0.0, self._hold_until - time.monotonic()))

    def drained(self) -> bool:
        return self.store.outbox_depth() == 0 and self.store.photos_pending() == 0

    def wait_drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.drained():
                return True
            if self.link.auth_error:
                return False
            time.sleep(0.1)
        return self.drained()

    # --- worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = [self._events.get(timeout=self.tick)]
            except queue.Empty:
                batch = []
            while len(batch) < 1000:
                try:
                    batch.append(self._events.get_nowait())
                except queue.Empty:
                    break
            try:
                self._handle_batch(batch)
            except Exception:  # the worker must outlive any single bad event or disk hiccup
                log.exception("%s: sync worker error", self.device_id)
                self._stopping.wait(1.0)

    def _handle_batch(self, batch: list[tuple[Any, ...]]) -> None:
        acked_records: list[str] = []
        acked_chunks: list[tuple[str, int]] = []
        for event in batch:
            name = event[0]
            if name == "published":
                item = self._by_mid.pop(event[1], None)
                # Only what we still wait for: a receipt or a photo reset may have overtaken this PUBACK.
                if item and item[0] == "record" and item[1] in self._records_in_flight:
                    acked_records.append(item[1])
                elif item and item[0] == "chunk" and item[1] in self._chunks_in_flight:
                    acked_chunks.append(item[1])
                continue
            # PUBACKs are batched into one transaction (one fsync), but flushed before anything that
            # could change the same rows, so events apply in the order they happened.
            self._flush_pubacks(acked_records, acked_chunks)
            if name == "drain":
                self._kicked.clear()
            elif name == "connected":
                self._on_connected()
                self._session_ready = True
            elif name == "disconnected":
                self._session_ready = False
                self._forget_in_flight()
            elif name == "message":
                self._on_message(event[1], event[2])
            elif name == "confirm":
                entry = self.store.inbox_entry(event[1])
                if entry is not None and self.link.connected:
                    self._publish_confirm(entry.id, entry.state)
            elif name == "redeliver":
                self._redeliver_unapplied()
            elif name == "auth_failed":
                log.error("%s: sync stopped: %s", self.device_id, event[1])
        self._flush_pubacks(acked_records, acked_chunks)
        self._periodic()
        # Not link.connected: publishing before this worker has handled the "connected" event would
        # have _on_connected treat the fresh sends as leftovers of the old session and send them twice.
        if self._session_ready and self.link.connected:
            self._drain()

    def _flush_pubacks(self, records: list[str], chunks: list[tuple[str, int]]) -> None:
        self.store.mark_sent(records)
        self.store.mark_chunks_sent(chunks)
        records.clear()
        chunks.clear()

    def _on_connected(self) -> None:
        self._forget_in_flight()
        self.store.requeue_sent()
        self.store.requeue_sent_chunks()
        self.store.requeue_unverified_photos()
        for message_id, state in self.store.unconfirmed_downlinks():
            self._publish_confirm(message_id, state)
        self._send_heartbeat()

    def _forget_in_flight(self) -> None:
        # Anything unreceipted will be re-read from the store; late PUBACKs for old mids are ignored.
        self._by_mid.clear()
        self._records_in_flight.clear()
        self._chunks_in_flight.clear()

    def _periodic(self) -> None:
        now = time.monotonic()
        # With the hub known to be offline, re-sending every ack_timeout would only loop; its return
        # triggers a resend. A slower timeout remains in case that retained "offline" is stale.
        timeout = self.ack_timeout * (10 if self.hub_online is False else 1)
        expired = [rid for rid, t in self._records_in_flight.items() if now - t > timeout]
        if expired:
            log.info("%s: no receipt for %d record(s) after %ss, re-sending", self.device_id, len(expired), timeout)
            for rid in expired:
                del self._records_in_flight[rid]
            self.store.requeue(expired)
        stale = [key for key, t in self._chunks_in_flight.items() if now - t > timeout]
        for key in stale:
            del self._chunks_in_flight[key]
        self.store.requeue_chunks(stale)
        self.store.requeue_unverified_photos(older_than=timedelta(seconds=timeout))
        if self.link.connected and now - self._last_heartbeat >= self.heartbeat_interval:
            self._send_heartbeat()
        if now - self._last_thin >= 60.0:
            self._last_thin = now
            self.store.thin_positions(self.thin_threshold, self.thin_interval_s)

    # --- sending -----------------------------------------------------------------------------
    def _drain(self) -> None:
        if self._hold_until:
            if time.monotonic() < self._hold_until:
                return
            self._hold_until = 0.0
            self._resend_deferred_confirms()
        room = self.window - len(self._records_in_flight)
        if room > 0:
            # Items awaiting PUBACK are still 'pending' in the store: over-fetch and skip them.
            for item in self.store.pending_outbox(room + len(self._records_in_flight)):
                if room <= 0:
                    break
                if item.record_id in self._records_in_flight:
                    continue
                mid = self.link.publish(topics.uplink(self.device_id, UplinkKind(item.kind)), item.payload)
                if mid is None:
                    return  # offline again; the store still has it
                self._by_mid[mid] = ("record", item.record_id)
                self._records_in_flight[item.record_id] = time.monotonic()
                room -= 1
        room = self.chunk_window - len(self._chunks_in_flight)
        if room > 0:
            for chunk in self.store.pending_chunks(room + len(self._chunks_in_flight)):
                if room <= 0:
                    break
                key = (chunk.sha256, chunk.index)
                if key in self._chunks_in_flight:
                    continue
                payload = self._chunk_payload(chunk)
                if payload is None:
                    continue
                mid = self.link.publish(topics.uplink(self.device_id, UplinkKind.PHOTO_CHUNK), payload)
                if mid is None:
                    return
                self._by_mid[mid] = ("chunk", key)
                self._chunks_in_flight[key] = time.monotonic()
                room -= 1

    def _chunk_payload(self, chunk: ChunkRef) -> bytes | None:
        data = self._photo_cache.get(chunk.sha256)
        if data is None:
            try:
                data = self.store.photos.read_verified(chunk.sha256, chunk.path)
            except PhotoCorruptError as exc:
                # One bad file must not block the queue: park it, report it, carry on with the rest.
                log.error("%s: %s; skipping it, other data continues", self.device_id, exc)
                self.store.mark_photo_corrupt(chunk.sha256, exc.reason)
                return None
            self._photo_cache[chunk.sha256] = data
            while len(self._photo_cache) > PHOTO_CACHE_SIZE:
                self._photo_cache.popitem(last=False)
        message = PhotoChunk(device_id=self.device_id, sha256=chunk.sha256, index=chunk.index, count=chunk.count,
                             total_size=chunk.total_size, data=slice_chunk(data, chunk.index, chunk.chunk_size))
        return encode(message)

    def _send_heartbeat(self) -> None:
        self._last_heartbeat = time.monotonic()
        beat = Heartbeat(device_id=self.device_id, sent_at=self.store.clock(), outbox_depth=self.store.outbox_depth(),
                         photos_pending=self.store.photos_pending(), battery_pct=None,
                         app_version=self.app_version or "unknown", uptime_s=time.monotonic() - self._started_at)
        self.link.publish(topics.uplink(self.device_id, UplinkKind.HEARTBEAT), encode(beat))

    def _publish_confirm(self, message_id: str, inbox_state: str) -> None:
        state = DeliveryState.READ if inbox_state == "read" else DeliveryState.DELIVERED
        confirm = DownlinkConfirm(device_id=self.device_id, message_id=message_id, state=state, at=self.store.clock())
        self.link.publish(topics.uplink(self.device_id, UplinkKind.CONFIRM), encode(confirm))

    # --- receiving ---------------------------------------------------------------------------
    def _on_message(self, topic: str, payload: bytes) -> None:
        try:
            if topic == topics.receipt(self.device_id):
                self._apply_receipt(decode_receipt(topic, payload))
            elif topic == topics.downlink(self.device_id):
                self._accept_downlink(decode_downlink(topic, payload))
            elif topic == topics.hub_status():
                status = decode_status(topic, payload)
                if isinstance(status, HubStatus):  # always: the hub's status topic names no device
                    self._on_hub_status(status)
            else:
                log.warning("%s: message on unexpected topic %s", self.device_id, topic)
        except ProtocolError as exc:
            log.warning("%s: ignoring undecodable message on %s: %s", self.device_id, topic, exc)

    def _apply_receipt(self, receipt: Receipt) -> None:
        retired = self.store.mark_acked(receipt.committed)
        for rid in receipt.committed:
            self._records_in_flight.pop(rid, None)
        for rejection in receipt.rejected:
            retired += self.store.mark_rejected(rejection.id, f"{rejection.reason}: {rejection.detail}".rstrip(": "))
            self._records_in_flight.pop(rejection.id, None)
        chunk_keys = [(c.sha256, c.index) for c in receipt.chunks]
        retired += self.store.mark_chunks_acked(chunk_keys)
        for key in chunk_keys:
            self._chunks_in_flight.pop(key, None)
        for result in receipt.photos:
            self._photo_cache.pop(result.sha256, None)
            if result.ok:
                self.store.mark_photo_verified(result.sha256)
            else:
                log.warning("%s: hub could not verify photo %s (%s); re-sending it whole", self.device_id,
                            result.sha256[:12], result.reason)
                self.store.reset_photo(result.sha256, result.reason or "hub verification failed")
                for key in [k for k in self._chunks_in_flight if k[0] == result.sha256]:
                    del self._chunks_in_flight[key]
        self.store.mark_confirmed(receipt.confirmed)
        self._deferred_confirms.difference_update(receipt.confirmed)
        if receipt.deferred:
            self._apply_deferrals(receipt.deferred)
        if retired or receipt.photos:
            self.last_sync_at = self.store.clock()

    def _apply_deferrals(self, deferrals: list[Deferral]) -> None:
        """Not stored, not refused: back to pending (what a receipt already retired stays retired), and hold
        every uplink until the hub's longest wait is over."""
        records = [d.id for d in deferrals if d.chunk is None and d.id is not None and d.kind is not UplinkKind.CONFIRM]
        chunks = [(d.chunk.sha256, d.chunk.index) for d in deferrals if d.chunk is not None]
        for rid in records:
            self._records_in_flight.pop(rid, None)  # a PUBACK still on its way is then ignored: stays pending
        for key in chunks:
            self._chunks_in_flight.pop(key, None)
        self.store.requeue(records)
        self.store.requeue_chunks(chunks)
        self._deferred_confirms.update(d.id for d in deferrals if d.kind is UplinkKind.CONFIRM and d.id is not None)
        wait = max(d.retry_after_s for d in deferrals)
        self._hold_until = max(self._hold_until, time.monotonic() + wait)
        log.info("%s: hub deferred %d uplink(s) (%s); pausing uplinks for %.1fs", self.device_id, len(deferrals),
                 deferrals[0].reason, wait)

    def _resend_deferred_confirms(self) -> None:
        for message_id in sorted(self._deferred_confirms):
            entry = self.store.inbox_entry(message_id)
            if entry is not None and entry.confirm_state != "confirmed":
                self._publish_confirm(entry.id, entry.state)
        self._deferred_confirms.clear()

    def _accept_downlink(self, message: DownlinkMessage) -> None:
        if message.expired(self.store.clock()):
            log.warning("%s: dropping expired downlink %s (%s, expired %s)", self.device_id, message.id, message.kind,
                     message.expires_at)
            return
        if self.store.store_downlink(message):
            self._apply_downlink(message)
        # Confirm duplicates too: the hub re-sends only because it has not seen our confirmation.
        entry = self.store.inbox_entry(message.id)
        self._publish_confirm(message.id, entry.state if entry else "delivered")

    def _apply_downlink(self, message: DownlinkMessage) -> None:
        if self.on_downlink is None:
            return  # stays unapplied in the inbox for the app to read
        try:
            self.on_downlink(message)
        except Exception:
            log.exception("%s: downlink handler failed for %s; will retry on restart", self.device_id, message.id)
            return
        self.store.mark_applied(message.id)

    def _redeliver_unapplied(self) -> None:
        """Messages stored before a crash but never handed to the app."""
        if self.on_downlink is None:
            return
        for entry in self.store.inbox(unapplied_only=True):
            self._apply_downlink(DownlinkMessage(id=entry.id, device_id=self.device_id, kind=entry.kind,
                                                 body=entry.body, created_at=entry.created_at,
                                                 expires_at=entry.expires_at))

    def _on_hub_status(self, status: HubStatus) -> None:
        online = status.state == "online"
        came_back = online and self.hub_online is False
        self.hub_online = online
        if came_back:
            # The hub may have lost what it had not committed: everything unreceipted goes again.
            log.info("%s: hub is back online, re-sending unreceipted data", self.device_id)
            self._forget_in_flight()
            self.store.requeue_sent()
            self.store.requeue_sent_chunks()
            self.store.requeue_unverified_photos()
