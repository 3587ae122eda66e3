"""The terminal's MQTT connection: the only terminal module that knows about paho.

MQTT 5, QoS 1, a persistent session (``clean_start=False`` + session expiry) so the broker
queues receipts and downlinks while the device is away. Reconnection is our own loop with
exponential backoff and full jitter, so a fleet coming back after a broker restart does not
reconnect in lockstep; it never gives up, except on an authentication refusal, which retrying
cannot fix and which would only hammer the broker.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from protocol import AUTH_FAILURES, DeviceStatus, encode, parse_broker_url, topics
from terminal.clock import Clock, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TlsFiles:
    """For ``mqtts://``: the CA that signed the broker's certificate (a closed network's own; None = the
    system's CAs) and an optional client certificate."""

    ca_file: str | None = None
    certfile: str | None = None
    keyfile: str | None = None


@dataclass
class LinkCallbacks:
    on_connected: Callable[[bool], None] = lambda session_present: None
    on_disconnected: Callable[[str], None] = lambda reason: None
    on_message: Callable[[str, bytes], None] = lambda topic, payload: None
    on_published: Callable[[int], None] = lambda mid: None
    on_auth_failed: Callable[[str], None] = lambda reason: None


@dataclass
class Backoff:
    """Exponential backoff with full jitter (sleep uniformly in [min, current cap])."""

    minimum: float = 0.5
    maximum: float = 60.0
    _cap: float = field(default=0.0, init=False)

    def next_delay(self, rng: random.Random) -> float:
        self._cap = min(self.maximum, max(self.minimum, self._cap * 2 or self.minimum))
        return rng.uniform(self.minimum, self._cap)

    def reset(self) -> None:
        self._cap = 0.0


class SyncLink:
    def __init__(self, device_id: str, broker_url: str, *, app_version: str = "", keepalive: int = 30,
                 session_expiry_s: int = 7 * 24 * 3600, backoff: Backoff | None = None,
                 subscriptions: list[str] | None = None, clock: Clock = utc_now, client_id: str | None = None,
                 username: str | None = None, password: str | None = None, tls: TlsFiles | None = None,
                 auth_grace_s: float = 0.0):
        self.device_id = device_id
        self.address = parse_broker_url(broker_url)
        # Enrolled credentials (terminal/enroll.py) take precedence over any user:pass in the URL.
        self.username = username or self.address.username
        self.password = password if username else self.address.password
        self.tls = tls or TlsFiles()
        self.app_version = app_version
        self.keepalive = keepalive
        self.session_expiry_s = session_expiry_s
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.callbacks = LinkCallbacks()
        # Replayed on every connect: a broker that lost our session must not leave us deaf.
        own = topics.device_subscriptions(device_id)
        self.subscriptions = list(subscriptions) if subscriptions is not None else own
        self.auth_error: str | None = None
        # A device that has just enrolled may reach the broker before the broker has reloaded its new account (the
        # hub writes the files at once; the reload is the broker's): refusals before the first connection within
        # the grace are retried, not final.
        self._auth_grace_until = time.monotonic() + auth_grace_s
        self._subscribe_mid: int | None = None
        self._session_present = False
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()
        self._client = self._make_client(client_id or device_id)

    def _make_client(self, client_id: str) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.address.tls:
            client.tls_set(ca_certs=self.tls.ca_file, certfile=self.tls.certfile, keyfile=self.tls.keyfile)
        offline = DeviceStatus(device_id=self.device_id, state="offline", app_version=self.app_version or None)
        client.will_set(topics.device_status(self.device_id), encode(offline), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        # Only this link's thread may write to the socket. paho, driven by our own loop() rather than loop_start(),
        # otherwise writes a publish at once from the calling thread (the sync thread) while the link thread may be
        # writing an ack: two threads in one TLS connection abort the process in OpenSSL (seen in CI). With a
        # write-registration callback paho only queues the packet and wakes select(); the link thread writes it.
        client.on_socket_register_write = _written_by_the_link_thread
        return client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("link already started")
        self._thread = threading.Thread(target=self._run, name=f"link-{self.device_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Clean disconnect; the retained status is set to offline first, since a clean disconnect
        does not fire the will."""
        if self.connected:  # the link thread, still looping, writes both and reads the status's PUBACK
            offline = DeviceStatus(device_id=self.device_id, state="offline", at=self.clock(),
                                   app_version=self.app_version or None)
            info = self._client.publish(topics.device_status(self.device_id), encode(offline), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
            self._client.disconnect()
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> int | None:
        """Queue a publish; the mid whose PUBACK will arrive via ``on_published``. None when offline
        (the caller keeps the data and tries again after reconnecting)."""
        if not self.connected:
            return None
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    # --- connection loop (own thread) --------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set() and self.auth_error is None:
            try:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = self.session_expiry_s
                self._client.connect(self.address.host, self.address.port, keepalive=self.keepalive,
                                     clean_start=False, properties=props)
            except OSError as exc:
                log.info("%s: cannot reach broker %s (%s)", self.device_id, self.address.url(), exc)
            else:
                while not self._stopping.is_set():
                    if self._client.loop(timeout=0.5) != mqtt.MQTT_ERR_SUCCESS:
                        break
                if self._stopping.is_set():  # let the DISCONNECT packet out
                    self._client.loop(timeout=0.5)
                    break
                if self._connected.is_set():  # loop() ended without on_disconnect (e.g. socket error)
                    self._connected.clear()
                    self.callbacks.on_disconnected("connection lost")
            if self.auth_error is not None or self._stopping.is_set():
                break
            self._stopping.wait(self.backoff.next_delay(self._rng))
        self._connected.clear()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags, reason_code: ReasonCode,
                    properties: Properties | None) -> None:
        if reason_code.is_failure:
            code = reason_code.value
            if code in AUTH_FAILURES and time.monotonic() < self._auth_grace_until:
                log.warning("%s: broker does not know the new account yet (%s); retrying", self.device_id,
                            AUTH_FAILURES[code])
            elif code in AUTH_FAILURES:
                self.auth_error = f"{AUTH_FAILURES[code]} (reason code {code})"
                log.error("%s: broker refused credentials: %s; not retrying", self.device_id, self.auth_error)
                self.callbacks.on_auth_failed(self.auth_error)
            else:
                log.warning("%s: broker refused connection: %s", self.device_id, reason_code)
            return
        self.backoff.reset()
        self._auth_grace_until = 0.0  # the broker knows the account now: a refusal from here on is final
        online = DeviceStatus(device_id=self.device_id, state="online", at=self.clock(),
                              app_version=self.app_version or None)
        client.publish(topics.device_status(self.device_id), encode(online), qos=1, retain=True)
        self._session_present = bool(flags.session_present)
        if not self.subscriptions:
            self._mark_ready()
            return
        # "Connected" for the engine means subscribed too: a receipt or downlink sent before our
        # SUBACK would otherwise miss a fresh session.
        _, self._subscribe_mid = client.subscribe([(topic, 1) for topic in self.subscriptions])

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: list[ReasonCode],
                      properties: Properties | None) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [t for t, rc in zip(self.subscriptions, reason_codes, strict=False) if rc.is_failure]
        if refused:
            log.error("%s: broker refused subscriptions %s (check its ACL)", self.device_id, refused)
        self._mark_ready()

    def _mark_ready(self) -> None:
        self._connected.set()
        log.info("%s: connected to %s (session present: %s)", self.device_id, self.address.url(),
                 self._session_present)
        self.callbacks.on_connected(self._session_present)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: mqtt.DisconnectFlags, reason_code: ReasonCode,
                       properties: Properties | None) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected:
            log.info("%s: disconnected (%s)", self.device_id, reason_code)
            self.callbacks.on_disconnected(str(reason_code))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # paho types the payload bytes | bytearray but hands out bytes; bytes() of bytes is the same object.
        self.callbacks.on_message(message.topic, bytes(message.payload))

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason_code: ReasonCode,
                    properties: Properties) -> None:
        if not reason_code.is_failure:
            self.callbacks.on_published(mid)
        else:
            log.warning("%s: broker refused publish %s: %s", self.device_id, mid, reason_code)


def _written_by_the_link_thread(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """paho's "socket wants writing" hook: nothing to do, the link thread's select() was woken and writes."""
