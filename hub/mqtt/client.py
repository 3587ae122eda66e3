"""``HubClient``: paho's MQTT client with the per-message costs of a busy subscriber taken out. The bridge
(:mod:`hub.mqtt.bridge`) is its only user; paho is imported nowhere else in the hub."""
from __future__ import annotations

import struct
from collections import deque

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode


class HubClient(mqtt.Client):
    """paho's client with three per-message costs of a busy subscriber taken out (paho's own code otherwise):

    - reads: paho asks the socket for a packet's header a byte at a time (three ``recv`` calls per message, each
      releasing and re-taking the GIL the writer thread wants). Here ``loop_read`` takes what the kernel has in one
      64 KiB ``recv`` and paho's parser is fed from that buffer; a packet cut at the buffer's end waits for the
      next select (the socket is readable), so the loop still gets to send acks between reads.
    - acks: ``ack_all`` queues the PUBACKs of a whole batch as one write (one wake-up, one ``send``) instead of a
      queued packet, a wake-up byte and a ``send`` per message.
    - MQTT 5 properties: paho builds a ``Properties`` object for every PUBLISH (≈ 11 µs, as much as the rest of
      receiving it); a QoS 1 PUBLISH with no properties at all, what devices send, skips it. Anything else (a
      property, QoS 0 or 2, a malformed packet) goes through paho's own handling.
    - the read lane: paho parses a packet a few bytes at a time through its packet dict and hands each message
      through a topic matcher and two locks. Complete property-less QoS 1 PUBLISHes at the head of the read buffer
      are cut out of it in one loop and given to ``on_message`` directly (22 → 12 µs of CPU per message with a
      city's mix); the first packet that is anything else, or not all there yet, stops the loop and is paho's.
    - the in-flight window: publishes beyond it (a batch's receipts, one per device with a city's mix) wait as
      "queued", and paho finds the next one by walking every unacknowledged message on each PUBACK, ≈ 17 % of
      the hub with a city's mix (benchmarks/city_mix.py). Queued mids are listed in order here instead; paho's
      message states stay the truth (a listed mid no longer queued is skipped; a reconnect re-lists).
    """

    READ_SIZE = 65536
    _rbuf = b""
    _rpos = 0
    _refills = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queued_mids: deque[int] = deque()

    def reconnect(self):
        self._rbuf, self._rpos = b"", 0  # bytes of a dead connection never reach the next one's parser
        return super().reconnect()

    def loop_read(self, max_packets: int = 1):
        self._refills = 1
        while True:
            rc = super().loop_read(max_packets)
            if rc or self._rpos >= len(self._rbuf):
                return rc

    def _sock_recv(self, bufsize: int) -> bytes:
        buf, pos = self._rbuf, self._rpos
        if pos >= len(buf):
            if self._refills <= 0:
                raise BlockingIOError  # paho keeps the partial packet and resumes on the next readable select
            self._refills -= 1
            buf, pos = super()._sock_recv(self.READ_SIZE), 0
            if not buf:
                return buf  # connection closed
            self._rbuf = buf
        self._rpos = pos + bufsize
        return buf[pos:pos + bufsize]

    def _packet_read(self):
        if self._in_packet["command"] == 0 and self._read_lane():
            return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._packet_read()

    def _read_lane(self) -> bool:
        """Deliver each complete property-less QoS 1 PUBLISH at the head of the buffer; False if none was."""
        on_message = self.on_message
        if not self._manual_ack or self._protocol != mqtt.MQTTv5 or on_message is None \
                or self._on_message_filtered._root._children:  # per-topic callbacks: paho's matcher decides
            return False
        buf, pos = self._rbuf, self._rpos
        if pos >= len(buf):
            if self._refills <= 0:
                return False
            try:
                buf, pos = super()._sock_recv(self.READ_SIZE), 0
            except OSError:  # BlockingIOError and TLS's want-read too: paho's own read meets it and says what it is
                return False
            if not buf:
                return False  # closed: paho's own read meets the end too and reports the connection lost
            self._refills -= 1
            self._rbuf, self._rpos = buf, 0
        end_of_buffer, delivered = len(buf), 0
        with self._in_callback_mutex:  # as paho holds it around its callbacks
            while pos < end_of_buffer and buf[pos] & 0xF6 == 0x32:  # PUBLISH, QoS 1 (dup and retain either way)
                length, shift, at = 0, 0, pos + 1
                while at < end_of_buffer and at - pos <= 4:
                    digit = buf[at]
                    length |= (digit & 0x7F) << shift
                    shift += 7
                    at += 1
                    if digit < 0x80:
                        break
                else:
                    break  # the length is cut off (or malformed: paho says so)
                end = at + length
                end_of_topic = at + 2 + int.from_bytes(buf[at:at + 2], "big")
                props_at = end_of_topic + 2  # after the packet id
                if end > end_of_buffer or end_of_topic == at + 2 or props_at >= end or buf[props_at] != 0:
                    break
                message = ReceivedMessage(int.from_bytes(buf[end_of_topic:props_at], "big"), buf[at + 2:end_of_topic],
                                          buf[props_at + 1:end], bool(buf[pos] & 0x08), bool(buf[pos] & 0x01))
                pos = self._rpos = end  # past it before the callback: a raising callback never sees it twice
                delivered += 1
                try:
                    on_message(self, self._userdata, message)
                except Exception as err:
                    self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                    if not self.suppress_exceptions:
                        raise
        if delivered:
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()
        return delivered > 0

    def _handle_publish(self):
        header, packet = self._in_packet["command"], self._in_packet["packet"]
        end_of_topic = 2 + int.from_bytes(packet[:2], "big")
        props_at = end_of_topic + 2  # after the packet id
        if (header & 0x06) != 0x02 or not self._manual_ack or self._protocol != mqtt.MQTTv5 or end_of_topic == 2 \
                or len(packet) <= props_at or packet[props_at] != 0:
            return super()._handle_publish()
        message = mqtt.MQTTMessage(int.from_bytes(packet[end_of_topic:props_at], "big"), bytes(packet[2:end_of_topic]))
        message.qos, message.dup, message.retain = 1, bool(header & 0x08), bool(header & 0x01)
        message.payload = bytes(packet[props_at + 1:])
        message.timestamp = mqtt.time_func()
        self._handle_on_message(message)
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS  # manual ack: the writer acks after the commit

    def publish(self, topic, payload=None, qos=0, retain=False, properties=None):
        info = super().publish(topic, payload, qos, retain, properties)
        if qos > 0:
            with self._out_message_mutex:
                message = self._out_messages.get(info.mid)
                if message is not None and message.state == mqtt.mqtt_ms_queued:
                    self._queued_mids.append(info.mid)
                    self._update_inflight()  # a PUBACK may have opened the window before the mid was listed
        return info

    def _update_inflight(self):
        """paho's, from the list of queued mids instead of a walk over every message (called under its lock)."""
        queued, out = self._queued_mids, self._out_messages
        while queued and self._inflight_messages < self._max_inflight_messages:
            message = out.get(queued.popleft())
            if message is None or message.state != mqtt.mqtt_ms_queued:
                continue  # sent meanwhile, or reset by a reconnect
            self._inflight_messages += 1
            message.state = mqtt.mqtt_ms_wait_for_puback if message.qos == 1 else mqtt.mqtt_ms_wait_for_pubrec
            rc = self._send_publish(message.mid, message.topic.encode("utf-8"), message.payload, message.qos,
                                    message.retain, message.dup, properties=message.properties)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return rc
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _messages_reconnect_reset_out(self) -> None:
        super()._messages_reconnect_reset_out()
        with self._out_message_mutex:
            self._queued_mids = deque(mid for mid, m in self._out_messages.items() if m.state == mqtt.mqtt_ms_queued)

    def publish_all_qos0(self, messages: list[tuple[str, bytes]]) -> int:
        """PUBLISH every (topic, payload) at QoS 0 as one queued write; how many were handed to the connection.

        paho's ``publish`` costs a message object, two locks, a queued packet and a wake-up byte per message, and at
        QoS 1 a PUBACK to handle and an in-flight slot; for a batch's receipts (one per device: with a city's mix,
        one per message) this builds the packets directly. Nothing when not connected: like paho's QoS 0, dropped."""
        if not messages or not self.is_connected():
            return 0
        no_properties = b"\x00" if self._protocol == mqtt.MQTTv5 else b""
        parts: list[bytes] = []
        for topic, payload in messages:
            name = topic.encode()
            parts += (_PUBLISH_QOS0, _remaining_length(2 + len(name) + len(no_properties) + len(payload)),
                      len(name).to_bytes(2, "big"), name, no_properties, payload)
        # Command 0: paho's writer sends the bytes and runs no per-PUBLISH bookkeeping for them (there is none).
        self._packet_queue(0, b"".join(parts), 0, 0)
        return len(messages)

    def ack_all(self, mids: list[int]) -> None:
        """PUBACK (QoS 1, success) every mid in one queued write; same bytes as ``ack`` sends one by one."""
        if mids:
            self._packet_queue(mqtt.PUBACK, b"".join([_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids]), 0, 0)


class ReceivedMessage(mqtt.MQTTMessage):
    """A received QoS 1 PUBLISH as the read lane hands it on: paho's message without the ``info`` (a delivery
    tracker with its own ``threading.Condition``, a quarter of the lane's cost, that only sent messages use)."""

    __slots__ = ()

    def __init__(self, mid: int, topic: bytes, payload: bytes, dup: bool, retain: bool):
        self.mid, self._topic, self.payload, self.qos, self.dup, self.retain = mid, topic, payload, 1, dup, retain
        self.timestamp, self.state, self.properties = mqtt.time_func(), mqtt.mqtt_ms_invalid, None


_PUBLISH_QOS0 = bytes([mqtt.PUBLISH])  # fixed header: PUBLISH, QoS 0, not retained, not a duplicate


def _remaining_length(n: int) -> bytes:
    """MQTT's variable-length integer (7 bits a byte, high bit: more follow)."""
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | 0x80 if n else digit)
        if not n:
            return bytes(out)


_PUBACK = struct.Struct("!BBH")  # fixed header, remaining length 2, packet id: the short form MQTT 3.1.1 and 5 share
