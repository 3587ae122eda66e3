"""Hub test helpers: message factories (a fake device's view of the protocol) and a migrated store."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from hub.mqtt.ingest import RawMessage
from hub.store import HubStore
from protocol import (
    DeviceStatus,
    DownlinkConfirm,
    Heartbeat,
    IncidentReport,
    PhotoChunk,
    Position,
    encode,
    topics,
    uplink_topic_for,
    uuid7,
)

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Device:
    """Builds the messages one terminal would publish."""

    def __init__(self, device_id: str):
        self.id = device_id
        self.seq = 0

    def report(self, note: str = "", record_id: str | None = None, seq: int | None = None) -> IncidentReport:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return IncidentReport(id=record_id or uuid7(), device_id=self.id, seq=seq, created_at=T0,
                              category="road", note=note, position=Position(lat=31.2, lon=121.5, accuracy_m=5))

    def heartbeat(self, sent_at: datetime = T0, outbox_depth: int = 3) -> Heartbeat:
        return Heartbeat(device_id=self.id, sent_at=sent_at, outbox_depth=outbox_depth, photos_pending=1,
                         battery_pct=80, app_version="1.2.3")

    def confirm(self, message_id: str, state: str = "delivered") -> DownlinkConfirm:
        return DownlinkConfirm(device_id=self.id, message_id=message_id, state=state, at=T0)

    def photo_chunks(self, data: bytes, chunk: int = 1000, sha256: str | None = None) -> list[PhotoChunk]:
        sha = sha256 or hashlib.sha256(data).hexdigest()
        parts = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        return [PhotoChunk(device_id=self.id, sha256=sha, index=i, count=len(parts), total_size=len(data), data=p)
                for i, p in enumerate(parts)]

    def status(self, state: str) -> tuple[str, bytes]:
        return topics.device_status(self.id), encode(DeviceStatus(device_id=self.id, state=state, at=T0))


def raw(message, at: datetime = T0) -> RawMessage:
    return RawMessage(uplink_topic_for(message), encode(message), at)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url, tmp_path, clock):
    hub_store = HubStore(db_url, tmp_path / "data", clock=clock, dead_letter_cap=1024)
    hub_store.migrate()
    yield hub_store
    hub_store.close()


@pytest.fixture
def pg_store(pg_migrated_url, tmp_path, clock):
    """A migrated store on a fresh PostgreSQL database, for tests about PostgreSQL-only features."""
    hub_store = HubStore(pg_migrated_url, tmp_path / "data", clock=clock)
    hub_store.migrate()
    yield hub_store
    hub_store.close()


@pytest.fixture
def device(unique) -> Device:
    return Device(f"kiosk-{unique}")


# -- MQTT side: a fake terminal speaking plain paho, and a running bridge -------------------------
import threading  # noqa: E402
import time  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from protocol import decode_downlink, decode_receipt, parse_broker_url  # noqa: E402


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, describe=None):
    """``describe()``, if given, says in the failure what there was instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s" + (f": {describe()}" if describe else ""))


class FakeTerminal(Device):
    """A device on the wire: persistent MQTT 5 session, retained status with an offline will."""

    def __init__(self, device_id: str, broker_url: str, clean: bool = False):
        super().__init__(device_id)
        self.receipts = []
        self.downlinks = []
        self.lock = threading.Lock()
        address = parse_broker_url(broker_url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{device_id}", protocol=mqtt.MQTTv5)
        topic, offline = self.status("offline")
        self.client.will_set(topic, offline, qos=1, retain=True)
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        self._connected = threading.Event()
        self.connects = 0  # CONNACKs so far: a test waits for the next one after a broker restart
        self._address = address
        self._clean = clean

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        for topic in topics.device_subscriptions(self.id):
            client.subscribe(topic, qos=1)
        client.publish(*self.status("online"), qos=1, retain=True)
        self.connects += 1
        self._connected.set()

    def _on_message(self, client, userdata, message):
        with self.lock:
            if message.topic == topics.receipt(self.id):
                self.receipts.append(decode_receipt(message.topic, message.payload))
            elif message.topic == topics.downlink(self.id):
                self.downlinks.append(decode_downlink(message.topic, message.payload))

    def connect(self) -> FakeTerminal:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 300
        self._connected.clear()
        self.client.connect(self._address.host, self._address.port, clean_start=self._clean, properties=props)
        self.client.loop_start()
        assert self._connected.wait(5)
        return self

    def drop(self) -> None:
        """Vanish without DISCONNECT, so the broker publishes the offline will."""
        self.client.loop_stop()
        self.client.socket().close()

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, message) -> None:
        self.client.publish(uplink_topic_for(message), encode(message), qos=1).wait_for_publish(5)

    def send_raw(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def committed_ids(self) -> list[str]:
        with self.lock:
            return [rid for r in self.receipts for rid in r.committed]

    def rejected(self) -> list:
        with self.lock:
            return [rej for r in self.receipts for rej in r.rejected]

    def confirmed_ids(self) -> list[str]:
        with self.lock:
            return [mid for r in self.receipts for mid in r.confirmed]

    def downlink_ids(self) -> list[str]:
        with self.lock:
            return [m.id for m in self.downlinks]


@pytest.fixture
def terminals(own_broker, unique):
    made = []

    def make(name: str = "kiosk", clean: bool = False) -> FakeTerminal:
        terminal = FakeTerminal(f"{name}-{unique}-{len(made)}", own_broker.url, clean=clean)
        made.append(terminal)
        return terminal.connect()

    yield make
    for terminal in made:
        try:
            terminal.disconnect()
        except Exception:  # noqa: BLE001 - already dropped
            pass


@pytest.fixture
def hub_settings(own_broker, tmp_path, unique, db_url):
    from hub.settings import HubSettings

    return HubSettings(broker_url=own_broker.url, db_url=db_url, data_dir=tmp_path / "hub", client_id=f"hub-{unique}",
                       downlink_resend_s=1.0, maintenance_interval_s=0.2, session_expiry_s=300)


@pytest.fixture
def bridge(hub_settings):
    from hub.mqtt.bridge import MqttBridge

    hub_store = HubStore.from_settings(hub_settings)
    hub_store.migrate()
    running = MqttBridge(hub_settings, hub_store).start()
    assert running.connected.wait(5)
    yield running
    running.stop()
    hub_store.close()
