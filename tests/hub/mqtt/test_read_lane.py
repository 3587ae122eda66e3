"""The hub client's read lane (``HubClient._read_lane``): property-less QoS 1 PUBLISHes cut straight out of the read
buffer, everything else left to paho. Fed byte streams over a socket pair, split anywhere, mixed with packets the
lane must not take."""

from __future__ import annotations

import select
import socket

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.mqtt.client import HubClient
from hub.mqtt.client import _remaining_length as varint  # MQTT's length encoding, as the hub writes it


def publish(topic: str, payload: bytes, *, qos: int = 1, mid: int = 1, dup: bool = False, retain: bool = False,
            properties: bytes = b"\x00") -> bytes:
    name = topic.encode()
    body = len(name).to_bytes(2, "big") + name + (mid.to_bytes(2, "big") if qos else b"") + properties + payload
    return bytes([0x30 | qos << 1 | dup << 3 | retain]) + varint(len(body)) + body


def user_property() -> bytes:
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = ("trace", "1")
    return props.pack()


class Wire:
    """A HubClient reading from one end of a socket pair; ``got`` lists what on_message received."""

    def __init__(self, *, suppress_exceptions: bool = True):
        self.client = HubClient(CallbackAPIVersion.VERSION2, client_id="lane", protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.suppress_exceptions = suppress_exceptions
        self.got: list[tuple] = []
        self.client.on_message = lambda c, u, m: self.got.append(seen(m))
        self.ours, self.theirs = socket.socketpair()
        self.ours.setblocking(False)
        self.client._sock = self.ours

    def feed(self, data: bytes, chunk: int) -> None:
        """Send ``data`` ``chunk`` bytes at a time, reading after each as the network thread does: while the
        socket is readable (select), one ``loop_read``."""
        for i in range(0, len(data), chunk):
            self.theirs.sendall(data[i:i + chunk])
            while select.select([self.ours], [], [], 0)[0]:
                assert self.client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def close(self) -> None:
        self.ours.close()
        self.theirs.close()


def seen(message: mqtt.MQTTMessage) -> tuple:
    return message.mid, message.topic, bytes(message.payload), message.qos, message.dup, message.retain


@pytest.fixture
def wire():
    w = Wire()
    yield w
    w.close()


SIZES = [0, 1, 100, 127, 128, 300, 16383, 16384, 70000]  # one-, two- and three-byte lengths; one over the buffer


def lane_stream() -> tuple[bytes, list[tuple]]:
    packets, expected = [], []
    for i, size in enumerate(SIZES * 2):
        topic = f"gl/v1/up/dev-{i}/position" if i % 3 else f"gl/v1/up/终端-{i}/report"
        payload = bytes((i + k) % 251 for k in range(size))
        dup, retain = i % 4 == 1, i % 5 == 2
        packets.append(publish(topic, payload, mid=1000 + i, dup=dup, retain=retain))
        expected.append((1000 + i, topic, payload, 1, dup, retain))
    return b"".join(packets), expected


@pytest.mark.parametrize("chunk", [1, 3, 7, 100, 4096, 65535, 65536, 65537])
def test_a_stream_split_anywhere_delivers_each_publish_once_intact_in_order(wire, chunk):
    data, expected = lane_stream()
    if chunk == 1:  # byte by byte: the small messages only (the 70,000-byte ones would take a while)
        data, expected = b"".join(publish(t, p, mid=m, dup=d, retain=r) for m, t, p, _, d, r in expected[:6]), \
            expected[:6]
    wire.feed(data, chunk)
    assert wire.got == expected


def test_packets_the_lane_does_not_take_reach_paho_in_order(wire):
    expected, packets = [], []

    def add(packet: bytes, what: tuple | None) -> None:
        packets.append(packet)
        if what is not None:
            expected.append(what)

    add(publish("gl/v1/up/a/position", b"lane-1", mid=1), (1, "gl/v1/up/a/position", b"lane-1", 1, False, False))
    add(publish("gl/v1/up/b/position", b"qos0", qos=0), (0, "gl/v1/up/b/position", b"qos0", 0, False, False))
    add(publish("gl/v1/up/c/position", b"props", mid=2, properties=user_property()),
        (2, "gl/v1/up/c/position", b"props", 1, False, False))
    add(b"\xd0\x00", None)  # PINGRESP
    add(publish("gl/v1/up/d/position", b"lane-2", mid=3), (3, "gl/v1/up/d/position", b"lane-2", 1, False, False))
    add(publish("gl/v1/up/e/position", b"qos2", qos=2, mid=4), None)  # paho keeps a QoS 2 message until PUBREL
    add(publish("gl/v1/up/f/position", b"lane-3", mid=5), (5, "gl/v1/up/f/position", b"lane-3", 1, False, False))
    wire.feed(b"".join(packets), 65536)
    assert wire.got == expected


def test_a_callback_that_raises_never_gets_the_same_message_again():
    wire = Wire(suppress_exceptions=False)
    calls: list[int] = []

    def on_message(client, userdata, message):
        calls.append(message.mid)
        if message.mid == 2:
            raise RuntimeError("boom")

    wire.client.on_message = on_message
    try:
        wire.theirs.sendall(b"".join(publish("gl/v1/up/a/position", b"x", mid=m) for m in (1, 2, 3)))
        with pytest.raises(RuntimeError):
            wire.client.loop_read()
        wire.client.loop_read()
        assert calls == [1, 2, 3]
    finally:
        wire.close()


def test_per_topic_callbacks_are_matched_by_paho(wire):
    filtered: list[tuple] = []
    wire.client.message_callback_add("gl/v1/up/+/report", lambda c, u, m: filtered.append(seen(m)))
    wire.feed(publish("gl/v1/up/a/report", b"r", mid=1) + publish("gl/v1/up/a/position", b"p", mid=2), 65536)
    assert filtered == [(1, "gl/v1/up/a/report", b"r", 1, False, False)]
    assert wire.got == [(2, "gl/v1/up/a/position", b"p", 1, False, False)]


def test_a_length_longer_than_mqtt_allows_is_paho_s_protocol_error(wire):
    wire.theirs.sendall(b"\x32\xff\xff\xff\xff\x01" + b"\x00" * 16)
    assert wire.client.loop_read() == mqtt.MQTTErrorCode.MQTT_ERR_PROTOCOL
    assert wire.got == []


@pytest.mark.parametrize("tail", [b"", publish("gl/v1/up/a/position", b"cut short", mid=2)[:9]])
def test_a_closed_connection_is_reported_lost_after_what_arrived_whole(wire, tail):
    wire.theirs.sendall(publish("gl/v1/up/a/position", b"whole", mid=1) + tail)
    wire.theirs.close()
    codes = [wire.client.loop_read() for _ in range(3)]  # the socket stays readable at its end: the loop reads on
    assert mqtt.MQTTErrorCode.MQTT_ERR_CONN_LOST in codes
    assert wire.got == [(1, "gl/v1/up/a/position", b"whole", 1, False, False)]
