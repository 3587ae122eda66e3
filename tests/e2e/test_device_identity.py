"""Device identity end to end: a real Mosquitto on the hub's generated password/ACL files with a TLS
listener (a CA made by the test), the whole hub talking to it over mqtts://, terminals enrolled over HTTP
with one-time codes and syncing with their own accounts. Spoofing, wrong passwords, revocation, TLS."""
from __future__ import annotations

import stat
import threading
import time

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub import sample
from hub.auth.operators import OperatorDirectory
from hub.devices.mosquitto_auth import BrokerAccount, acl_file, mosquitto_hash, password_file
from hub.mqtt.embedded_broker import BrokerAuth, BrokerTls, ManagedBroker
from hub.org.geojson_io import load_community
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from hub.store.files import write_atomically
from protocol import IncidentReport, Position, encode, topics, uuid7
from terminal.device import Device
from terminal.enroll import CREDENTIALS_FILE, CredentialsError, enroll, load_credentials
from terminal.link import SyncLink, TlsFiles
from tests.isolation import free_port

from .conftest import wait_until
from .tls_certs import make_pki

GRID = "440402004005001"
HUB_USER, HUB_PASSWORD = "gridline-hub", "e2e-hub-broker-password"
ADMIN_PASSWORD = "Grid-line-2026!"


class Secure:
    def __init__(self, hub: HubRunner, broker: ManagedBroker, pki, admin: dict):
        self.hub, self.broker, self.pki, self.admin = hub, broker, pki, admin

    def register(self, device_id: str, kind: str = "kiosk") -> str:
        r = httpx.post(f"{self.hub.base_url}/api/devices", headers=self.admin,
                       json={"device_id": device_id, "kind": kind, "unit_code": GRID})
        assert r.status_code == 201, r.text
        return r.json()["code"]

    def enrolled_device(self, device_id: str, tmp_path) -> Device:
        data_dir = tmp_path / device_id
        enroll(self.hub.base_url, self.register(device_id), data_dir)
        return Device(device_id, data_dir, "", ack_timeout=5, heartbeat_interval=3600)

    def raw_client(self, username: str, password: str) -> RawClient:
        return RawClient(self.broker, self.pki, username, password)


class RawClient:
    """A misbehaving device: plain paho with a real account, over TLS."""

    def __init__(self, broker: ManagedBroker, pki, username: str, password: str):
        self.messages: list[str] = []
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=username, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        self.client.tls_set(ca_certs=str(pki.ca_cert))
        self.client.on_connect = lambda c, u, f, rc, p: rc.is_failure or self.connected.set()
        self.client.on_message = lambda c, u, m: self.messages.append(m.topic)
        self.client.connect(broker.host, broker.tls_port)
        self.client.loop_start()
        assert self.connected.wait(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def secure(tmp_path, unique):
    pki = make_pki(tmp_path / "pki")
    auth_dir = tmp_path / "broker-auth"
    # Before the hub's first sync: Mosquitto needs the files to start, and the hub needs its account to connect.
    write_atomically(auth_dir / "passwd", password_file([BrokerAccount(HUB_USER, mosquitto_hash(HUB_PASSWORD))]), 0o640)
    write_atomically(auth_dir / "acl", acl_file(HUB_USER), 0o640)
    broker = ManagedBroker(tmp_path / "broker", port=free_port(), engine="mosquitto",
                           auth=BrokerAuth(auth_dir / "passwd", auth_dir / "acl"),
                           tls=BrokerTls(pki.server_cert, pki.server_key, port=free_port())).start()
    settings = HubSettings(
        broker_url=f"mqtts://{HUB_USER}:{HUB_PASSWORD}@127.0.0.1:{broker.tls_port}", broker_ca_file=pki.ca_cert,
        broker_auth_dir=auth_dir, broker_reload_pid_file=broker.pid_file, broker_auth_sync_s=1.0,
        data_dir=tmp_path / "hub", http_port=0, client_id=HUB_USER, downlink_resend_s=2.0)
    hub = HubRunner(settings).start()
    try:
        load_community(hub.store, sample.load_raw())
        OperatorDirectory(hub.store).create("admin", ADMIN_PASSWORD, role="admin", scope_code="440402004005")
        token = httpx.post(f"{hub.base_url}/api/auth/login",
                           json={"username": "admin", "password": ADMIN_PASSWORD}).json()["token"]
        assert wait_until(lambda: hub.bridge.connected.is_set(), 10, message="hub connected over TLS")
        yield Secure(hub, broker, pki, {"Authorization": f"Bearer {token}"})
    finally:
        hub.stop()
        broker.stop()


def test_enrolled_devices_sync_over_tls_and_cannot_speak_or_listen_as_each_other(secure, tmp_path):
    a = secure.enrolled_device("kiosk-a-01", tmp_path)
    b = secure.enrolled_device("kiosk-b-01", tmp_path)
    creds_file = tmp_path / "kiosk-a-01" / CREDENTIALS_FILE
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds_file.parent.stat().st_mode) == 0o700
    creds = load_credentials(creds_file.parent)
    assert creds.broker_url == f"mqtts://127.0.0.1:{secure.broker.tls_port}" and creds.ca_file  # CA came along
    with a, b:
        a.report("road", 22.27, 113.53, note="井盖缺失")
        b.report("road", 22.27, 113.53, note="路灯不亮")
        assert a.wait_drained(15) and b.wait_drained(15)  # stored and receipted over their own accounts
    store = secure.hub.store
    assert store.count_records(device_id="kiosk-a-01") == store.count_records(device_id="kiosk-b-01") == 1

    # A, with its real credentials, tries B's topics: the broker refuses, the hub never sees it.
    spoof = IncidentReport(id=uuid7(), device_id="kiosk-b-01", seq=99, created_at=store.clock(), category="road",
                           note="伪造", position=Position(lat=22.27, lon=113.53, accuracy_m=5))
    rogue = secure.raw_client(creds.username, creds.password)
    try:
        rogue.client.subscribe([(topics.downlink("kiosk-b-01"), 1), (topics.receipt("kiosk-b-01"), 1)])
        time.sleep(0.3)
        store.queue_downlink("kiosk-b-01", "note", {"text": "只给B / for B only"})
        rogue.client.publish(topics.uplink("kiosk-b-01", "report"), encode(spoof), qos=1)
        time.sleep(1.5)
        assert rogue.messages == []
        assert store.count_records(device_id="kiosk-b-01") == 1
    finally:
        rogue.close()
    # A's own topic, B's name in the payload: dead-lettered, and A (the sender) is flagged for an admin.
    rogue = secure.raw_client(creds.username, creds.password)
    try:
        rogue.client.publish(topics.uplink("kiosk-a-01", "report"), encode(spoof), qos=1).wait_for_publish(5)
    finally:
        rogue.close()
    identities = wait_until(lambda: [i for i in httpx.get(f"{secure.hub.base_url}/api/device-identities",
                                                          headers=secure.admin).json() if i["flag"]], 10,
                            message="spoofing flag")
    assert [(i["device_id"], i["flag"]["reason"]) for i in identities] == [("kiosk-a-01", "device_mismatch")]
    listed = {d["id"]: d for d in httpx.get(f"{secure.hub.base_url}/api/devices", headers=secure.admin).json()}
    assert (listed["kiosk-a-01"]["identity"], listed["kiosk-a-01"]["flagged"]) == ("active", "device_mismatch")
    assert (listed["kiosk-b-01"]["identity"], listed["kiosk-b-01"]["flagged"]) == ("active", None)
    assert store.count_records(device_id="kiosk-b-01") == 1
    with Device("kiosk-b-01", tmp_path / "kiosk-b-01", "") as b_again:  # B itself still gets its downlink
        wait_until(lambda: any(e.kind == "note" for e in b_again.inbox()), 15, message="B's downlink")


def test_wrong_password_is_refused_once_and_the_link_stops(secure):
    link = SyncLink("kiosk-c-01", secure.broker.tls_url, username="kiosk-c-01", password="not-the-password",
                    tls=TlsFiles(ca_file=str(secure.pki.ca_cert)))
    link.start()
    try:
        wait_until(lambda: link.auth_error, 10, message="auth refusal")
        time.sleep(3)  # a retry storm would show up in the broker log by now
        assert not link.connected and link._thread is not None and not link._thread.is_alive()
        assert secure.broker.log_file.read_text().count("disconnected, not authorised") == 1
    finally:
        link.stop()


def test_revoked_device_is_cut_within_60s_refused_after_and_its_records_stay(secure, tmp_path):
    device = secure.enrolled_device("phone-lost-01", tmp_path)
    with device:
        for i in range(3):
            device.report("road", 22.27, 113.53, note=f"before revocation {i}")
        assert device.wait_drained(15) and device.wait_connected(5)
        t0 = time.monotonic()
        r = httpx.post(f"{secure.hub.base_url}/api/devices/phone-lost-01/revoke", headers=secure.admin,
                       json={"reason": "手机遗失 / phone lost"})
        assert r.status_code == 200
        wait_until(lambda: not device.link.connected, 60, interval=0.05, message="cut off")
        cut_s = time.monotonic() - t0
        print(f"revocation to disconnect: {cut_s:.2f} s")
        assert cut_s < 60
        wait_until(lambda: device.link.auth_error, 15, message="reconnect refused")  # it tried, and stopped
    assert secure.hub.store.count_records(device_id="phone-lost-01") == 3  # acknowledged records stay


def test_tls_needs_the_ca(secure, tmp_path):
    from gridline.cli import main

    creds_dir = tmp_path / "kiosk-t-01"
    qr_text = f"gridline://enroll?code={secure.register('kiosk-t-01')}&hub={secure.hub.base_url}"
    assert main(["terminal", "enroll", "--code", qr_text, "--data-dir", str(creds_dir)]) == 0  # the scanned QR
    creds = load_credentials(creds_dir)
    (creds_dir / CREDENTIALS_FILE).chmod(0o644)
    with pytest.raises(CredentialsError, match="chmod 600"):
        load_credentials(creds_dir)  # readable by others: refused, like ssh keys
    (creds_dir / CREDENTIALS_FILE).chmod(0o600)
    without_ca = SyncLink("kiosk-t-01", secure.broker.tls_url, username=creds.username, password=creds.password)
    with_ca = SyncLink("kiosk-t-01", secure.broker.tls_url, username=creds.username, password=creds.password,
                       tls=TlsFiles(ca_file=creds.ca_file))
    without_ca.start()
    try:
        assert not without_ca.wait_connected(3)  # the system CAs do not vouch for our broker
        assert without_ca.auth_error is None  # a TLS failure, not a refusal of the account
    finally:
        without_ca.stop()
    with_ca.start()
    try:
        assert with_ca.wait_connected(10)
    finally:
        with_ca.stop()
