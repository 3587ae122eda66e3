"""What a real Mosquitto does with a publish the hub's ACL denies, byte for byte (docs/security.md, section 2, states
exactly this): the message is dropped; a QoS 1 publish is answered with PUBACK - reason 0x87 "not authorised" for an
MQTT 5 client, a plain PUBACK for an MQTT 3.1.1 client (that version has no reason codes: it reads as success) - and
then the connection is closed; a QoS 0 publish gets no answer before the close. Raw sockets, so no client library
interprets anything. Gridline relies on none of it (MQTT 3.1.1 allows a broker to ack positively instead of closing,
[MQTT-3.3.5-2]); the test pins what the doc says about the broker this project ships with."""
from __future__ import annotations

import shutil
import socket
import struct

import pytest

from hub.devices.mosquitto_auth import BrokerAccount, acl_file, mosquitto_hash, password_file
from hub.mqtt.embedded_broker import BrokerAuth, ManagedBroker
from protocol import topics
from tests.isolation import free_port

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary")

HUB_USER, DEVICE, PASSWORD = "gridline-hub", "kiosk-a-01", "device-password"
MQTT_311, MQTT_5 = 4, 5
CONNACK, PUBACK = 0x20, 0x40
NOT_AUTHORISED = 0x87


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _packet(first_byte: int, body: bytes) -> bytes:
    length, n = b"", len(body)
    while True:
        n, digit = divmod(n, 128)
        length += bytes([digit | (0x80 if n else 0)])
        if not n:
            return bytes([first_byte]) + length + body


def _connect(level: int) -> bytes:
    properties = b"\x00" if level == MQTT_5 else b""
    variable = _string("MQTT") + bytes([level, 0xC2]) + struct.pack("!H", 60) + properties  # user+password, clean
    return _packet(0x10, variable + _string(DEVICE) + _string(DEVICE) + _string(PASSWORD))


def _publish(level: int, topic: str, qos: int, mid: int) -> bytes:
    variable = _string(topic) + (struct.pack("!H", mid) if qos else b"") + (b"\x00" if level == MQTT_5 else b"")
    return _packet(0x30 | qos << 1, variable + b"payload")


def _read_until_closed(sock: socket.socket, wait_s: float = 3.0) -> tuple[bytes, bool]:
    """Everything the broker sends, and whether it closed the connection within ``wait_s``."""
    sock.settimeout(wait_s)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return received, False
    except ConnectionResetError:
        pass
    return received, True


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    auth_dir = tmp_path_factory.mktemp("auth")
    (auth_dir / "passwd").write_text(password_file([BrokerAccount(DEVICE, mosquitto_hash(PASSWORD)),
                                                    BrokerAccount(HUB_USER, mosquitto_hash("hub-password"))]))
    (auth_dir / "acl").write_text(acl_file(HUB_USER))
    managed = ManagedBroker(tmp_path_factory.mktemp("broker"), port=free_port(), engine="mosquitto",
                            auth=BrokerAuth(auth_dir / "passwd", auth_dir / "acl")).start()
    yield managed
    managed.stop()


def _session(broker, level: int) -> socket.socket:
    sock = socket.create_connection((broker.host, broker.port), timeout=5)
    sock.sendall(_connect(level))
    connack = sock.recv(64)
    assert connack[0] == CONNACK and connack[3] == 0, connack.hex()  # accepted
    return sock


@pytest.mark.parametrize("level", [MQTT_311, MQTT_5], ids=["mqtt3.1.1", "mqtt5"])
@pytest.mark.parametrize("qos", [0, 1])
def test_a_denied_publish_is_dropped_answered_as_documented_then_the_connection_is_closed(broker, level, qos):
    with _session(broker, level) as sock:
        sock.sendall(_publish(level, topics.uplink("kiosk-b-01", "report"), qos, mid=7))  # another device's topic
        received, closed = _read_until_closed(sock)
    if qos == 0:
        assert received == b""
    elif level == MQTT_5:
        assert received == bytes([PUBACK, 3]) + struct.pack("!H", 7) + bytes([NOT_AUTHORISED])
    else:
        assert received == bytes([PUBACK, 2]) + struct.pack("!H", 7)  # MQTT 3.1.1: indistinguishable from success
    assert closed, "Mosquitto kept the connection open after a denied publish"


@pytest.mark.parametrize("level", [MQTT_311, MQTT_5], ids=["mqtt3.1.1", "mqtt5"])
def test_an_allowed_publish_is_acked_and_the_connection_stays(broker, level):
    with _session(broker, level) as sock:
        sock.sendall(_publish(level, topics.uplink(DEVICE, "report"), 1, mid=8))
        received, closed = _read_until_closed(sock, wait_s=1.0)
    if level == MQTT_5:  # a reason below 0x80 is success; nobody subscribes here: 0x10 "no matching subscribers"
        assert received[:4] == bytes([PUBACK, 3]) + struct.pack("!H", 8) and received[4] < 0x80, received.hex()
    else:
        assert received == bytes([PUBACK, 2]) + struct.pack("!H", 8)
    assert not closed
