"""The hub's paho client (``hub.mqtt.client.HubClient``): buffered reads and one-write PUBACKs, against real
Mosquitto."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.mqtt.client import HubClient

from ..conftest import wait_until


class Receiver:
    """A manual-ack ``HubClient`` with a persistent session that records (mid, topic, payload)."""

    def __init__(self, broker, client_id: str, topic: str):
        self.got: list[tuple[int, str, bytes]] = []
        self.lock = threading.Lock()
        self.client = HubClient(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 300
        self.client.connect(broker.host, broker.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self.lock:
            self.got.append((message.mid, message.topic, bytes(message.payload)))

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def receiver_and_publisher(broker, unique: str):
    """A Receiver on ``hubc/<unique>/#`` (subscribed) and a plain paho publisher; both stopped afterwards."""
    receiver = Receiver(broker, f"hubc-{unique}", f"hubc/{unique}/#")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hubc-pub-{unique}", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.connect(broker.host, broker.port, keepalive=30)
    pub.loop_start()
    try:
        time.sleep(0.5)  # the receiver's subscription is in place
        yield receiver, pub
    finally:
        pub.loop_stop()
        pub.disconnect()
        receiver.stop()


@contextmanager
def same_session_again(broker, unique: str):
    """The Receiver's persistent session, reconnected: the broker redelivers what it never got a PUBACK for."""
    again = Receiver(broker, f"hubc-{unique}", f"hubc/{unique}/#")
    try:
        yield again
    finally:
        again.stop()


def test_buffered_reads_deliver_small_and_larger_than_buffer_messages_intact(own_broker, unique):
    # Large payloads straddle the 64 KiB read buffer: parts of one packet come from several reads.
    payloads = [(f"{i:05d}-".encode() * (40_000 if i % 7 == 0 else 50)) for i in range(300)]
    with receiver_and_publisher(own_broker, unique) as (receiver, pub):
        for i, payload in enumerate(payloads):
            pub.publish(f"hubc/{unique}/{i}", payload, qos=1)
        wait_until(lambda: len(receiver.got) >= len(payloads), 30)
        assert [(topic, payload) for _, topic, payload in receiver.got] == [
            (f"hubc/{unique}/{i}", payload) for i, payload in enumerate(payloads)
        ]
        assert max(map(len, payloads)) > HubClient.READ_SIZE


def test_ack_all_acks_exactly_the_mids_given(own_broker, unique):
    with receiver_and_publisher(own_broker, unique) as (receiver, pub):
        for i in range(200):
            pub.publish(f"hubc/{unique}/{i}", f"m{i}".encode(), qos=1)
        wait_until(lambda: len(receiver.got) >= 200, 30)
        acked = [(mid, payload) for mid, _, payload in receiver.got[::2]]
        receiver.client.ack_all([mid for mid, _ in acked])  # every other message; the rest stay unacked
        time.sleep(1.0)  # the acks reach the broker before the connection goes
    with same_session_again(own_broker, unique) as again:  # exactly the messages that got no PUBACK come back
        wait_until(lambda: len(again.got) >= 100, 30)
        time.sleep(0.5)
        assert sorted(p for _, _, p in again.got) == sorted(f"m{i}".encode() for i in range(1, 200, 2))


def test_publishes_with_properties_or_qos_0_take_paho_s_own_path_and_arrive(own_broker, unique):
    with receiver_and_publisher(own_broker, unique) as (receiver, pub):
        props = Properties(PacketTypes.PUBLISH)
        props.ContentType = "application/json"
        pub.publish(f"hubc/{unique}/props", b"with-props", qos=1, properties=props)
        pub.publish(f"hubc/{unique}/qos0", b"at-most-once", qos=0)
        pub.publish(f"hubc/{unique}/plain", b"plain", qos=1)
        wait_until(lambda: len(receiver.got) >= 3, 30)
        assert [(t, p) for _, t, p in receiver.got] == [
            (f"hubc/{unique}/props", b"with-props"),
            (f"hubc/{unique}/qos0", b"at-most-once"),
            (f"hubc/{unique}/plain", b"plain"),
        ]
        receiver.client.ack_all([mid for mid, t, _ in receiver.got if not t.endswith("qos0")])
        time.sleep(0.5)
    with same_session_again(own_broker, unique) as again:
        time.sleep(1.5)
        assert again.got == []  # both QoS 1 messages were acked, QoS 0 needs none


@contextmanager
def window_sender(broker, unique: str, window: int):
    """A ``HubClient`` publisher with a small in-flight window and a persistent session, connected."""
    sender = HubClient(CallbackAPIVersion.VERSION2, client_id=f"hubc-send-{unique}", protocol=mqtt.MQTTv5)
    sender.max_inflight_messages_set(window)
    sender.max_queued_messages_set(0)
    sender.reconnect_delay_set(min_delay=1, max_delay=2)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 300
    sender.connect(broker.host, broker.port, keepalive=30, clean_start=False, properties=props)
    sender.loop_start()
    try:
        wait_until(sender.is_connected, 10)
        yield sender
    finally:
        sender.loop_stop()
        sender.disconnect()


def test_publishes_beyond_the_inflight_window_go_out_once_in_order(own_broker, unique):
    with receiver_and_publisher(own_broker, unique) as (receiver, _), window_sender(own_broker, unique, 5) as sender:
        for i in range(300):
            sender.publish(f"hubc/{unique}/{i}", f"q{i}".encode(), qos=1)
        assert len(sender._queued_mids) > 0  # the window was full: most of them waited in the list
        wait_until(lambda: len(receiver.got) >= 300, 30)
        wait_until(lambda: not sender._out_messages, 10)  # every one acknowledged by the broker
        time.sleep(0.3)
        assert [p for _, _, p in receiver.got] == [f"q{i}".encode() for i in range(300)]


def test_publishes_queued_behind_the_window_survive_a_broker_restart(own_broker, unique):
    with receiver_and_publisher(own_broker, unique) as (receiver, _), window_sender(own_broker, unique, 5) as sender:
        for i in range(200):
            sender.publish(f"hubc/{unique}/{i}", f"r{i}".encode(), qos=1)
        own_broker.restart()  # most are still queued or in flight: paho re-sends them after its reconnect
        wait_until(lambda: not sender._out_messages, 60)  # every publish acknowledged after the restart
        wait_until(lambda: {p for _, _, p in receiver.got} >= {f"r{i}".encode() for i in range(200)}, 30)


def test_receipts_go_out_in_one_write_at_qos0_and_arrive_byte_for_byte(own_broker, unique):
    broker = own_broker
    # Sizes around the remaining-length encoding's steps (1, 2 and 3 bytes) and an empty payload.
    payloads = [b"", b"r" * 100, b"s" * 200, "收据".encode() * 3000, b"t" * 20000]
    with receiver_and_publisher(broker, unique) as (receiver, _pub):
        sender = HubClient(CallbackAPIVersion.VERSION2, client_id=f"hubc-q0-{unique}", protocol=mqtt.MQTTv5)
        assert sender.publish_all_qos0([(f"hubc/{unique}/x", b"1")]) == 0  # not connected: dropped, as paho's QoS 0
        sender.connect(broker.host, broker.port, keepalive=30)
        sender.loop_start()
        try:
            wait_until(sender.is_connected)
            sent = sender.publish_all_qos0([(f"hubc/{unique}/d{i}", p) for i, p in enumerate(payloads)])
            assert sent == len(payloads)
            wait_until(lambda: len(receiver.got) == len(payloads))
        finally:
            sender.disconnect()
            sender.loop_stop()
    assert [(topic, payload) for _mid, topic, payload in receiver.got] == \
        [(f"hubc/{unique}/d{i}", p) for i, p in enumerate(payloads)]
