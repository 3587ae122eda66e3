"""A test-only stand-in for the hub's MQTT contract, speaking through a real broker with paho.

It does what the real hub promises (store by id, then receipt; per-chunk acks; photo hash
verification; downlinks; retained status) and can be told to misbehave: stay silent,
withhold chunk acks, fail a photo's verification once, reject records.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol import (
    ChunkAck,
    DownlinkConfirm,
    DownlinkMessage,
    HubStatus,
    PhotoChunk,
    PhotoResult,
    Receipt,
    Rejection,
    decode_uplink,
    encode,
    is_record,
    parse_broker_url,
    topics,
)


def now() -> datetime:
    return datetime.now(UTC)


class FakeHub:
    def __init__(self, broker_url: str, device_prefix: str):
        self.device_prefix = device_prefix
        self.address = parse_broker_url(broker_url)
        self.lock = threading.RLock()
        self.answering = True  # False: receive and store, but send no receipts
        self.chunk_ack_limit: int | None = None  # ack only chunks with index < limit
        self.fail_photo_once: set[str] = set()
        self.lose_verdict_once: set[str] = set()  # ack every chunk but "lose" the photo's verdict
        self.reject: dict[str, str] = {}
        self.records: dict[str, object] = {}
        self.record_arrivals: list[tuple[str, int]] = []  # (id, seq) in arrival order, duplicates included
        self.chunk_arrivals: list[tuple[str, int]] = []
        self.confirms: list[DownlinkConfirm] = []
        self.heartbeats: list = []
        self.receipts_sent = 0
        self._parts: dict[str, dict[int, bytes]] = defaultdict(dict)
        self.verified: set[str] = set()
        self.verify_failures: list[str] = []
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fakehub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.reconnect_delay_set(0.2, 1.0)

    def start(self) -> FakeHub:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 600
        self.client.connect(self.address.host, self.address.port, keepalive=10, clean_start=False,
                            properties=props)
        self.client.loop_start()
        assert self.connected.wait(10), "fake hub could not connect"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        client.subscribe(topics.all_uplinks_filter(), qos=1)
        self.connected.set()

    # --- uplinks -----------------------------------------------------------------------------
    def _on_message(self, client, userdata, message) -> None:
        parsed, payload = decode_uplink(message.topic, message.payload)
        if not parsed.device_id.startswith(self.device_prefix):
            return  # another test's device on a shared broker
        receipt: dict = {}
        with self.lock:
            if is_record(payload):
                self.record_arrivals.append((payload.id, payload.seq))
                if payload.id in self.reject:
                    receipt["rejected"] = [Rejection(id=payload.id, reason=self.reject[payload.id])]
                else:
                    self.records.setdefault(payload.id, payload)
                    receipt["committed"] = [payload.id]
            elif isinstance(payload, PhotoChunk):
                receipt = self._take_chunk(payload)
            elif isinstance(payload, DownlinkConfirm):
                self.confirms.append(payload)
                receipt["confirmed"] = [payload.message_id]
            else:
                self.heartbeats.append(payload)
            answering = self.answering
        if receipt and answering:
            self.send_receipt(parsed.device_id, **receipt)

    def _take_chunk(self, chunk: PhotoChunk) -> dict:
        self.chunk_arrivals.append((chunk.sha256, chunk.index))
        if self.chunk_ack_limit is not None and chunk.index >= self.chunk_ack_limit:
            return {}  # as if the hub died before committing this chunk
        parts = self._parts[chunk.sha256]
        parts[chunk.index] = chunk.data
        receipt: dict = {"chunks": [ChunkAck(sha256=chunk.sha256, index=chunk.index)]}
        if len(parts) == chunk.count:
            data = b"".join(parts[i] for i in range(chunk.count))
            ok = hashlib.sha256(data).hexdigest() == chunk.sha256 and len(data) == chunk.total_size
            if chunk.sha256 in self.fail_photo_once:
                self.fail_photo_once.discard(chunk.sha256)
                ok = False
            if ok:
                self.verified.add(chunk.sha256)
            else:
                self.verify_failures.append(chunk.sha256)
                del self._parts[chunk.sha256]
            if chunk.sha256 in self.lose_verdict_once:
                self.lose_verdict_once.discard(chunk.sha256)
                return receipt
            receipt["photos"] = [PhotoResult(sha256=chunk.sha256, ok=ok, reason="" if ok else "sha256_mismatch")]
        return receipt

    def send_receipt(self, device_id: str, **fields) -> None:
        receipt = Receipt(device_id=device_id, at=now(), **fields)
        self.client.publish(topics.receipt(device_id), encode(receipt), qos=1)
        self.receipts_sent += 1

    def receipt_everything_for(self, device_id: str) -> None:
        """Answer, in one receipt, every record received so far from ``device_id``."""
        with self.lock:
            ids = [rid for rid, rec in self.records.items() if rec.device_id == device_id]
        for start in range(0, len(ids), 1000):
            self.send_receipt(device_id, committed=ids[start:start + 1000])

    # --- downlink and status -----------------------------------------------------------------
    def send_downlink(self, device_id: str, kind: str = "task", body: dict | None = None,
                      expires_at: datetime | None = None, message_id: str | None = None) -> DownlinkMessage:
        from protocol import uuid7

        message = DownlinkMessage(id=message_id or uuid7(), device_id=device_id, kind=kind, body=body or {},
                                  created_at=now(), expires_at=expires_at)
        self.client.publish(topics.downlink(device_id), encode(message), qos=1)
        return message

    def publish_status(self, state: str) -> None:
        info = self.client.publish(topics.hub_status(), encode(HubStatus(state=state, at=now())), qos=1, retain=True)
        info.wait_for_publish(5)

    # --- waiting -----------------------------------------------------------------------------
    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self):
                    return True
            time.sleep(0.05)
        with self.lock:
            return predicate(self)
