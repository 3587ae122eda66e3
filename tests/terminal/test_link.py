"""SyncLink against real Mosquitto brokers: presence, subscriptions, auth refusal, reconnection."""
from __future__ import annotations

import subprocess
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.mqtt.embedded_broker import ManagedBroker
from protocol import DeviceStatus, decode, topics
from terminal.link import Backoff, SyncLink
from tests.isolation import free_port

from .helpers import FAST_BACKOFF, wait_until


class Watcher:
    """A plain paho client recording what arrives on some topics."""

    def __init__(self, broker_url: str, *filters: str):
        from protocol import parse_broker_url

        address = parse_broker_url(broker_url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload, m.retain))
        self.client.on_connect = lambda c, u, f, rc, p: [c.subscribe(t, qos=1) for t in filters]
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def statuses(self) -> list[str]:
        return [decode(DeviceStatus, payload).state for _, payload, _ in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_backoff_grows_with_jitter_and_resets():
    import random

    backoff, rng = Backoff(minimum=1, maximum=8), random.Random(1)
    delays = [backoff.next_delay(rng) for _ in range(6)]
    assert all(1 <= d <= 8 for d in delays)
    assert backoff._cap == 8
    assert len({round(d, 6) for d in delays}) == 6  # jittered, not lockstep
    backoff.reset()
    assert backoff.next_delay(rng) == 1


def test_presence_subscriptions_and_publish(broker_url, unique):
    device = f"link-{unique}"
    watcher = Watcher(broker_url, topics.device_status(device))
    link = SyncLink(device, broker_url, app_version="test/1", backoff=FAST_BACKOFF)
    received, acked = [], []
    link.callbacks.on_message = lambda t, p: received.append((t, p))
    link.callbacks.on_published = acked.append
    link.start()
    try:
        assert link.wait_connected(10)
        assert wait_until(lambda: "online" in watcher.statuses())
        # Subscribed to its receipt topic: a message published there arrives.
        watcher.client.publish(topics.receipt(device), b"hello", qos=1)
        assert wait_until(lambda: (topics.receipt(device), b"hello") in received)
        mid = link.publish(topics.uplink(device, "heartbeat"), b"{}")
        assert mid is not None and wait_until(lambda: mid in acked)
    finally:
        link.stop()
        watcher.close()
    # Retained presence says offline after a clean stop.
    late = Watcher(broker_url, topics.device_status(device))
    try:
        assert wait_until(lambda: late.statuses() == ["offline"])
        assert late.messages[0][2] is True
    finally:
        late.close()


def test_only_the_link_thread_writes_to_the_socket(broker_url, unique):
    """Publishes from other threads while messages arrive (and are acked): every write to the connection is made by
    the link's own thread. Two threads writing to one TLS connection abort the process in OpenSSL."""
    import threading

    device = f"link-{unique}"
    link = SyncLink(device, broker_url, backoff=FAST_BACKOFF)
    writers: set[str] = set()
    send = link._client._sock_send

    def recording_send(buf):
        writers.add(threading.current_thread().name)
        return send(buf)

    link._client._sock_send = recording_send
    acked: list[int] = []
    link.callbacks.on_published = acked.append
    watcher = Watcher(broker_url)
    link.start()
    try:
        assert link.wait_connected(10)

        def publish_many():
            for _ in range(100):
                assert link.publish(topics.uplink(device, "heartbeat"), b"{}") is not None

        others = [threading.Thread(target=publish_many, name=f"sync-{i}") for i in range(3)]
        for thread in others:
            thread.start()
        for _ in range(100):  # the broker's messages to the device: each gets a PUBACK from the device
            watcher.client.publish(topics.receipt(device), b"r", qos=1)
        for thread in others:
            thread.join()
        assert wait_until(lambda: len(acked) >= 300)
    finally:
        link.stop()
        watcher.close()
    assert writers == {f"link-{device}"}


def test_last_will_marks_a_vanished_device_offline(own_broker, unique):
    device = f"will-{unique}"
    link = SyncLink(device, own_broker.url, keepalive=2, backoff=FAST_BACKOFF)
    link.start()
    assert link.wait_connected(10)
    watcher = Watcher(own_broker.url, topics.device_status(device))
    assert wait_until(lambda: watcher.statuses()[-1:] == ["online"])
    # Vanish without DISCONNECT: close the socket under paho, as a dropped radio link would.
    link._stopping.set()
    link._client.socket().close()
    try:
        assert wait_until(lambda: watcher.statuses()[-1:] == ["offline"], timeout=15)
    finally:
        watcher.close()
        link.stop()


def test_reconnects_after_broker_restart_and_replays_subscriptions(own_broker, unique):
    device = f"recon-{unique}"
    link = SyncLink(device, own_broker.url, backoff=FAST_BACKOFF, session_expiry_s=0)
    connects, received = [], []
    link.callbacks.on_connected = connects.append
    link.callbacks.on_message = lambda t, p: received.append(t)
    link.start()
    try:
        assert link.wait_connected(10)
        own_broker.restart(down_for=1.5)
        assert wait_until(lambda: len(connects) == 2, timeout=20)
        # Session expiry 0 means the broker forgot our subscriptions; on_connect must have renewed them.
        watcher = Watcher(own_broker.url)
        watcher.client.publish(topics.downlink(device), b"x", qos=1)
        assert wait_until(lambda: topics.downlink(device) in received)
        watcher.close()
    finally:
        link.stop()


@pytest.fixture
def auth_broker(tmp_path):
    passwords = tmp_path / "passwd"
    passwords.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "kiosk", "right-password"], check=True)
    passwords.chmod(0o600)
    broker = ManagedBroker(tmp_path / "auth-broker", port=free_port(), engine="mosquitto",
                           extra_config=f"allow_anonymous false\npassword_file {passwords}")
    # The generated config says allow_anonymous true first; the later line wins in mosquitto.
    broker.start()
    yield broker
    broker.stop()


@pytest.mark.parametrize("credentials", ["kiosk:wrong-password@", ""])
def test_auth_failure_stops_retrying(auth_broker, unique, credentials):
    url = f"mqtt://{credentials}127.0.0.1:{auth_broker.port}"
    link = SyncLink(f"auth-{unique}", url, backoff=FAST_BACKOFF)
    failures = []
    link.callbacks.on_auth_failed = failures.append
    link.start()
    try:
        assert wait_until(lambda: link.auth_error is not None, timeout=10)
        assert link._thread is not None and wait_until(lambda: not link._thread.is_alive(), timeout=5)
        assert failures == [link.auth_error]
        assert ("not authorized" in link.auth_error) or ("password" in link.auth_error)
        assert not link.connected
    finally:
        link.stop()


def test_good_credentials_connect(auth_broker, unique):
    link = SyncLink(f"auth-{unique}", f"mqtt://kiosk:right-password@127.0.0.1:{auth_broker.port}",
                    backoff=FAST_BACKOFF)
    link.start()
    try:
        assert link.wait_connected(10) and link.auth_error is None
    finally:
        link.stop()


def test_keeps_retrying_while_broker_is_away_then_connects(tmp_path, unique):
    port = free_port()
    link = SyncLink(f"away-{unique}", f"mqtt://127.0.0.1:{port}", backoff=Backoff(0.05, 0.2))
    link.start()
    broker = ManagedBroker(tmp_path / "late", port=port, engine="mosquitto")
    try:
        time.sleep(1.5)  # many refused attempts
        assert link._thread.is_alive() and link.auth_error is None and not link.connected
        for attempt in range(5):
            try:
                broker.start()
                break
            except RuntimeError:
                # "Address already in use": on loopback a connect to a free ephemeral port can pick that same
                # port as its source and connect to itself (TCP simultaneous open); the link drops it at once.
                if attempt == 4:
                    raise
                time.sleep(0.3)
        assert link.wait_connected(10)
    finally:
        link.stop()
        broker.stop()
