"""``MqttBridge``: the hub's only MQTT client (and the only hub module that imports paho).

Threads, and why:
- paho's network thread only enqueues ``(topic, payload, received_at)``; it never touches the DB,
  so keep-alives and acks keep flowing while a commit is slow.
- one writer thread takes batches, stores each in one transaction, then publishes one receipt
  per device for exactly what was committed and only then PUBACKs the messages (manual ack): a hub
  that dies before its commit leaves them with the broker, which redelivers on reconnect.
- a maintenance thread expires downlinks and re-sends unconfirmed ones (on one hub worker at a time).
- after each commit, ``on_commit`` listeners hear which uplink kinds it stored (the jobs' doorbells).

Several workers (``share_group``) split uplinks and device status through MQTT 5 shared subscriptions.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from hub.mqtt.client import HubClient
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.mqtt.uplink_limit import UplinkLimiter
from hub.settings import HubSettings
from hub.store import BatchResult, DownlinkRow, HubStore, utc_now
from hub.store.locks import ClusterLock
from protocol import AUTH_FAILURES, HubStatus, encode, parse_broker_url, topics

log = logging.getLogger(__name__)

IDLE_FLUSH_S = 0.002  # flush a batch early once the stream pauses this long
MAX_DB_BACKOFF_S = 10.0


@dataclass(frozen=True, slots=True)
class _Pending:
    raw: RawMessage
    mid: int
    qos: int
    generation: int  # which connection delivered it: a mid is only meaningful on its own connection


@dataclass
class BridgeStats:
    received: int = 0
    batches: int = 0
    stored_records: int = 0
    duplicate_records: int = 0
    conflicts: int = 0
    dead_letters: int = 0
    receipts_sent: int = 0
    downlinks_sent: int = 0
    db_failures: int = 0
    last_db_error: str | None = None
    connects: int = 0
    refused_connects: int = 0
    auth_failure: str | None = None
    # Writer-thread time per stage, in microseconds (where a batch's time goes; see benchmarks/).
    store_us: int = 0
    receipt_us: int = 0
    ack_us: int = 0
    resent_skipped: int = 0  # queued copies of messages the broker resent after a reconnect (skipped, not lost)
    rate_limited: int = 0  # uplinks over their device's rate limit: deferred, not stored (hub/mqtt/uplink_limit.py)


class MqttBridge:
    def __init__(self, settings: HubSettings, store: HubStore, clock: Callable[[], datetime] = utc_now):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.stats = BridgeStats()
        self.connected = threading.Event()
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._accepting = True
        self._stopping = threading.Event()
        self._abandon = threading.Event()  # stop() timed out: leave unstored messages unacked
        self._wake_maintenance = threading.Event()
        self._generation = 0
        # Unacked QoS 1 messages of connections before this one are resent by the broker on a resumed session:
        # copies still queued from them are duplicates to skip (not store twice, not let the queue double).
        self._resent_below = 0
        self._threads: list[threading.Thread] = []
        self._commit_listeners: list[Callable[[set[str]], None]] = []
        self._sweep_lock = ClusterLock(store.engine, "downlink-sweep")
        self.uplink_limit = UplinkLimiter.from_settings(settings)  # None: no per-device limit
        self._client = self._build_client()

    # -- lifecycle ------------------------------------------------------------------------------
    def _build_client(self) -> HubClient:
        address = parse_broker_url(self.settings.broker_url)
        self._address = address
        client = HubClient(CallbackAPIVersion.VERSION2, client_id=self.settings.client_id,
                            protocol=mqtt.MQTTv5, manual_ack=True)
        if address.username:
            client.username_pw_set(address.username, address.password)
        if address.tls:  # a closed network's own CA (docs/security.md); optional client certificate
            s = self.settings
            client.tls_set(ca_certs=str(s.broker_ca_file) if s.broker_ca_file else None,
                           certfile=str(s.broker_client_cert) if s.broker_client_cert else None,
                           keyfile=str(s.broker_client_key) if s.broker_client_key else None)
        if not self.settings.share_group:
            # One retained hub status for all workers: one dead worker must not tell devices "hub offline"
            # (they would slow their re-sends) while the others serve, so workers in a group leave no will.
            client.will_set(topics.hub_status(), encode(HubStatus(state="offline")), qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_inflight_messages_set(200)
        client.max_queued_messages_set(0)  # unlimited: receipts/downlinks wait for a reconnect
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        # A bug in a callback must not kill paho's network thread (and with it keep-alives and acks).
        client.suppress_exceptions = True
        return client

    def start(self) -> MqttBridge:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        if self.settings.share_group:
            props.SessionExpiryInterval = min(self.settings.session_expiry_s, self.settings.shared_session_expiry_s)
        self._client.connect_async(self._address.host, self._address.port, keepalive=30,
                                   clean_start=False, properties=props)
        self._client.loop_start()
        for name, target in (("hub-writer", self._writer_loop), ("hub-maintenance", self._maintenance_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages, store what is already queued, say offline, disconnect."""
        self._accepting = False
        self._stopping.set()
        self._wake_maintenance.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
            if thread.is_alive():
                self._abandon.set()  # DB still down: unstored messages stay unacked at the broker
                thread.join(2)
        if self.connected.is_set() and not self.settings.share_group:
            info = self._client.publish(topics.hub_status(), encode(HubStatus(state="offline", at=self.clock())),
                                        qos=1, retain=True)
            try:
                info.wait_for_publish(max(0.5, deadline - time.monotonic()))
            except (RuntimeError, ValueError):
                pass
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def on_commit(self, listener: Callable[[set[str]], None]) -> None:
        """``listener(kinds)`` runs on the writer thread after every commit; it must be quick (ring a bell)."""
        self._commit_listeners.append(listener)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    # -- paho callbacks (network thread: enqueue or flag, nothing slow) ------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.stats.refused_connects += 1
            log.error("broker refused connection: %s", reason_code)
            if reason_code.value in AUTH_FAILURES:
                self.stats.auth_failure = str(reason_code)
                client.disconnect()  # retrying with the same credentials only gets us banned
            return
        self._generation += 1
        if flags.session_present:
            self._resent_below = self._generation
        self.stats.connects += 1
        uplinks, status = topics.all_uplinks_filter(), topics.all_device_status_filter()
        if self.settings.share_group:
            # Status too: each presence change handled (and its downlinks re-sent) by one worker, not all.
            uplinks = topics.shared(uplinks, self.settings.share_group)
            status = topics.shared(status, self.settings.share_group)
        # Replayed on every connect: a broker that lost our session (restart without persistence)
        # would otherwise leave us connected and deaf.
        client.subscribe([(uplinks, SubscribeOptions(qos=1)), (status, SubscribeOptions(qos=1))])
        client.publish(topics.hub_status(), encode(HubStatus(state="online", at=self.clock())), qos=1, retain=True)
        self.connected.set()
        self._wake_maintenance.set()
        log.info("connected to %s (session present: %s)", self._address.url(), flags.session_present)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("disconnected from broker: %s; paho reconnects with backoff", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if not self._accepting:
            return  # not acked: the broker redelivers it to our persistent session next time
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", "replace")  # broker let a bad topic through; dead-letter it
        self.stats.received += 1
        over = self.uplink_limit.admit_topic(topic) if self.uplink_limit else None  # judged once, on arrival
        self._queue.put(_Pending(RawMessage(topic, bytes(message.payload), self.clock(), over),
                                 message.mid, message.qos, self._generation))

    # -- writer thread ----------------------------------------------------------------------------
    def _take_batch(self) -> list[_Pending] | None:
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return None if self._stopping.is_set() else []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_wait_ms / 1000
        while len(batch) < self.settings.batch_max:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=min(remaining, IDLE_FLUSH_S)))
            except queue.Empty:
                break
        return batch

    def _writer_loop(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            batch = self._without_resent(batch)
            if not batch:
                continue
            t0 = time.perf_counter()
            received_by = self.store.clock()  # a downlink sent after this went out after these devices connected
            result = self._store_until_committed(batch)
            if result is None:
                return
            t1 = time.perf_counter()
            self._tell_listeners(batch)
            try:
                self._record_stats(result)
                self._publish_receipts(result)
            except Exception:
                log.exception("publishing receipts failed")
            t2 = time.perf_counter()
            # Always ack a committed batch: unacked messages would pin the broker's in-flight window.
            self._ack(batch)
            self.stats.store_us += int((t1 - t0) * 1e6)
            self.stats.receipt_us += int((t2 - t1) * 1e6)
            self.stats.ack_us += int((time.perf_counter() - t2) * 1e6)
            if result.came_online:
                self._resend_to(result.came_online, received_by)

    def _without_resent(self, batch: list[_Pending]) -> list[_Pending]:
        """Drop queued QoS 1 messages of an earlier connection once the broker resumed our session: it resends
        every message we had not acked (MQTT 5 §4.4), so storing the old copy too would only be duplicate work.
        QoS 0 copies, and all copies after a reconnect that found no session, are kept: nothing resends them."""
        below = self._resent_below
        if not batch or batch[0].generation >= below:
            return batch  # the common case: nothing from an earlier connection
        kept = [p for p in batch if p.qos == 0 or p.generation >= below]
        self.stats.resent_skipped += len(batch) - len(kept)
        return kept

    def _store_until_committed(self, batch: list[_Pending]) -> BatchResult | None:
        """Retry with backoff while the database is unavailable; never drop, never receipt early."""
        delay = 0.1
        while True:
            try:
                return ingest_batch([p.raw for p in batch], self.store)
            except Exception as exc:  # noqa: BLE001 - anything here means "not committed": retry
                self.stats.db_failures += 1
                self.stats.last_db_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("storing a batch of %d failed (%s); retrying in %.1fs", len(batch), exc, delay)
                if self._abandon.wait(delay):
                    return None
                delay = min(delay * 2, MAX_DB_BACKOFF_S)

    def _tell_listeners(self, batch: list[_Pending]) -> None:
        if not self._commit_listeners:
            return
        # Each distinct topic once (a batch repeats a few per device): the kinds of its uplink-shaped topics.
        kinds = {parts[1] for parts in map(topics.uplink_parts, {p.raw.topic for p in batch}) if parts is not None}
        for listener in self._commit_listeners:
            try:
                listener(kinds)
            except Exception:
                log.exception("commit listener failed")

    def _record_stats(self, result: BatchResult) -> None:
        s = self.stats
        s.batches += 1
        s.stored_records += result.stored_records
        s.duplicate_records += result.duplicate_records
        s.conflicts += result.conflicts
        s.dead_letters += result.dead_letters
        s.rate_limited += result.rate_limited

    def _publish_receipts(self, result: BatchResult) -> None:
        # QoS 0, the batch's receipts in one write (docs/protocol.md, "Receipts"): a receipt lost on the way costs
        # the device a resend after its ack timeout, which is stored once and receipted again - never a record.
        at = self.clock()
        receipts = [(topics.receipt(device_id), encode(receipt))
                    for device_id, outcome in result.devices.items() if outcome.has_news()
                    for receipt in outcome.receipts(device_id, at)]
        self.stats.receipts_sent += self._client.publish_all_qos0(receipts)

    def _ack(self, batch: list[_Pending]) -> None:
        generation = self._generation
        mids = [p.mid for p in batch if p.qos == 1 and p.generation == generation]  # the hub subscribes at QoS 1
        try:
            self._client.ack_all(mids)
        except Exception:  # noqa: BLE001 - connection gone: the broker redelivers, we dedupe
            log.warning("could not ack %d message(s)", len(mids))

    # -- downlinks --------------------------------------------------------------------------------
    def send_downlinks(self, rows: Iterable[DownlinkRow]) -> list[str]:
        """Publish now (QoS 1) those of ``rows`` still live and not sent by someone else since they were read (the
        store claims them first); returns the ids handed to the broker connection."""
        if not self.connected.is_set():
            return []
        claimed, claimed_at = self.store.claim_downlinks(list(rows))
        sent, failed = [], []
        for row in claimed:
            info = self._client.publish(topics.downlink(row.device_id), encode(row.to_message()), qos=1)
            if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                sent.append(row.id)
            else:
                failed.append(row)
        self.store.release_downlinks(failed, claimed_at)
        self.stats.downlinks_sent += len(sent)
        return sent

    def _resend_to(self, device_ids: list[str], received_by: datetime) -> None:
        # A device that (re)connects may have lost its session: don't trust the broker to have queued. What was
        # sent after its online status arrived (an operator's message in the meantime) reached the new connection.
        try:
            for device_id in device_ids:
                self.send_downlinks(self.store.pending_downlinks(device_id, sent_before=received_by))
        except Exception:
            log.exception("re-sending downlinks to %s failed", device_ids)

    def _maintenance_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake_maintenance.wait(self.settings.maintenance_interval_s)
            self._wake_maintenance.clear()
            if self._stopping.is_set():
                return
            try:
                with self._sweep_lock.held() as mine:
                    if not mine:
                        continue  # another hub worker is sweeping right now
                    expired = self.store.expire_downlinks()
                    if expired:
                        log.info("%d downlink(s) expired unconfirmed", expired)
                    if self.connected.is_set():
                        self.send_downlinks(self.store.downlinks_due(self.settings.downlink_resend_s))
            except Exception:
                log.exception("downlink maintenance failed")
