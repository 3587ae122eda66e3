"""Device identity at the hub: enrolment codes, hashed per-device passwords, the Mosquitto password/ACL
files the hub writes (accepted and enforced by a real Mosquitto), revocation cutting a live connection,
spoofing flags, the schema, the admin/enrolment API and the CLI."""
from __future__ import annotations

import base64
import subprocess
import threading
import time
from datetime import timedelta

import numpy as np
import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from paho.mqtt.enums import CallbackAPIVersion

from hub import sample
from hub.devices import BrokerAuthSync, DeviceRegistry, IdentityError, mosquitto_hash, verify_mosquitto_hash
from hub.devices.flags import SpoofWatch
from hub.devices.ratelimit import AttemptLimiter
from hub.mqtt.embedded_broker import BrokerAuth, ManagedBroker
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.store import HubStore, create_hub_engine, current_revision
from hub.store.migrate import alembic_config
from hub.store.tables import metadata
from protocol import encode, topics
from terminal.camera.qr import read_qr
from tests.hub.devices.conftest import password_login
from tests.isolation import free_port

from ..conftest import Device

GRID = "440402004005001"
HUB_USER, HUB_PASSWORD = "gridline-hub", "hub-secret-for-tests"


@pytest.fixture
def registry(store, clock):
    load_community(store, sample.load_raw())
    return DeviceRegistry(store, clock=clock, reserved=[HUB_USER])


# -- the password hash and the files ---------------------------------------------------------------------
def test_hash_is_mosquittos_own_format(tmp_path):
    path = tmp_path / "pw"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "alice", "s3cret-pass"], check=True)
    theirs = path.read_text().strip().split(":", 1)[1]
    assert theirs.startswith("$7$") and verify_mosquitto_hash("s3cret-pass", theirs)
    assert not verify_mosquitto_hash("wrong", theirs)
    _, _, iterations, salt, _ = theirs.split("$")
    assert mosquitto_hash("s3cret-pass", iterations=int(iterations), salt=base64.b64decode(salt)) == theirs


# -- the register ------------------------------------------------------------------------------------
def test_register_enroll_once_and_password_only_hashed(registry, store):
    issued = registry.register("kiosk-new-01", kind="kiosk", unit_code=GRID, by="admin")
    assert registry.get("kiosk-new-01").state == "pending" and registry.broker_accounts() == []
    enrolled = registry.enroll(issued.code.lower().replace("-", " "))  # typed sloppily still works
    assert (enrolled.device_id, enrolled.username) == ("kiosk-new-01", "kiosk-new-01")
    with pytest.raises(IdentityError) as refused:
        registry.enroll(issued.code)  # one-time
    assert refused.value.code == "bad_code"
    [account] = registry.broker_accounts()
    assert verify_mosquitto_hash(enrolled.password, account.password_hash)
    with store.engine.connect() as conn:  # neither the password nor the code is anywhere in the database
        dump = " ".join(str(v) for t in ("device_identities", "device_bindings")
                        for row in conn.execute(sa.text(f"SELECT * FROM {t}")) for v in row)
    assert enrolled.password not in dump and issued.code not in dump and "kiosk-new-01" in dump
    assert registry.get("kiosk-new-01").kind == "kiosk" and registry.get("kiosk-new-01").unit_code == GRID


def test_refusals_expiry_and_reissue(registry, clock):
    with pytest.raises(IdentityError, match="unit"):
        registry.register("kiosk-x-01", kind="kiosk", unit_code="440402004005999", by="admin")
    with pytest.raises(IdentityError) as exc:
        registry.register(HUB_USER, kind="kiosk", unit_code=GRID, by="admin")
    assert exc.value.code == "reserved"
    with pytest.raises(IdentityError):
        registry.register("BAD ID", kind="kiosk", unit_code=GRID, by="admin")
    issued = registry.register("phone-x-01", kind="phone", unit_code=GRID, owner_person_id="p-lead-01", by="admin")
    with pytest.raises(IdentityError) as exc:
        registry.register("phone-x-01", kind="phone", unit_code=GRID, by="admin")
    assert exc.value.code == "exists"
    clock.advance(registry.code_ttl.total_seconds() + 1)
    with pytest.raises(IdentityError):
        registry.enroll(issued.code)  # expired
    again = registry.issue_code("phone-x-01", by="admin")
    first = registry.enroll(again.code)
    registry.revoke("phone-x-01", by="admin", reason="手机遗失")
    assert registry.get("phone-x-01").state == "revoked" and registry.broker_accounts() == []
    comeback = registry.enroll(registry.issue_code("phone-x-01", by="admin").code)  # only through a new code
    assert comeback.password != first.password and registry.get("phone-x-01").state == "active"


def test_spoofing_dead_letter_flags_the_sending_device(registry, store, clock):
    registry.register("kiosk-a-01", kind="kiosk", unit_code=GRID, by="admin")
    spoof = Device("kiosk-b-01").report(note="我是B")  # payload says B ...
    ingest_batch([RawMessage(topics.uplink("kiosk-a-01", "report"), encode(spoof), clock())], store)  # ... A sent it
    assert store.count_dead_letters(reason="device_mismatch") == 1 and store.count_records() == 0
    watch = SpoofWatch(registry)
    assert watch.scan_once() == 1 and watch.scan_once() == 0
    flag = registry.get("kiosk-a-01").flag
    assert flag.reason == "device_mismatch" and "kiosk-b-01" in flag.detail and flag.count == 1
    assert registry.flags() == {"kiosk-a-01": flag}  # B, the impersonated one, is not blamed
    assert registry.clear_flag("kiosk-a-01", by="admin") and registry.get("kiosk-a-01").flag is None
    assert SpoofWatch(registry).scan_once() == 0  # a restarted hub resumes after the last flagged dead letter
    assert registry.get("kiosk-a-01").flag is None


def test_attempt_limiter_per_address_and_overall(clock):
    limiter = AttemptLimiter(per_key=3, overall=5, window=timedelta(minutes=1), clock=clock)
    assert [limiter.attempt("10.0.0.1") for _ in range(3)] == [None] * 3
    assert 0 < limiter.attempt("10.0.0.1") <= 60
    assert limiter.attempt("10.0.0.2") is None and limiter.attempt("10.0.0.3") is None
    assert limiter.attempt("10.0.0.4") is not None  # the overall cap holds against many addresses
    clock.advance(61)
    assert limiter.attempt("10.0.0.1") is None


MY_TABLES = {"device_identities", "device_flags"}


def test_migration_0008_matches_tables_and_downgrades(store):
    engine = create_hub_engine(store.db_url)

    def mine(obj, name, type_, reflected, compare_to) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in MY_TABLES

    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": mine})
            diffs = compare_metadata(ctx, metadata)
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0007")
        assert current_revision(store.db_url) == "0007" and not MY_TABLES & set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert MY_TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- a real Mosquitto on the files the hub writes -----------------------------------------------------
class Client:
    """A bare MQTT 5 client with an account, recording what it receives and how its connects end."""

    def __init__(self, port: int, username: str, password: str, client_id: str | None = None):
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or username, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(60, 60)  # we watch one connection, not paho's retries
        self.port = port
        self.messages: list[tuple[str, bytes]] = []
        self.connack: int | None = None
        self.disconnected_at: float | None = None
        self.connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda c, u, f, rc, p: setattr(self, "disconnected_at", time.monotonic())
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload))

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connack = reason_code.value
        if not reason_code.is_failure:
            self.connected.set()

    def connect(self, wait: float = 5.0) -> Client:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        deadline = time.monotonic() + wait
        while self.connack is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, qos=1)
        time.sleep(0.2)

    def publish(self, topic: str, payload: bytes = b"x") -> None:
        info = self.client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(2)
        except RuntimeError:  # refused and disconnected: what some tests expect
            pass

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def broker_registry(tmp_path, clock):
    """The broker tests are about Mosquitto, not the database: SQLite only."""
    hub_store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "data", clock=clock)
    hub_store.migrate()
    load_community(hub_store, sample.load_raw())
    yield DeviceRegistry(hub_store, clock=clock, reserved=[HUB_USER])
    hub_store.close()


@pytest.fixture
def secured(broker_registry, tmp_path):
    """Mosquitto on the hub's generated files, and the sync that keeps them current (reload = SIGHUP)."""
    sync = BrokerAuthSync(broker_registry, tmp_path / "auth", HUB_USER, HUB_PASSWORD)
    sync.sync_once()  # the files must exist before Mosquitto starts
    broker = ManagedBroker(tmp_path / "broker", port=free_port(), engine="mosquitto",
                           auth=BrokerAuth(sync.password_file, sync.acl_file)).start()
    sync.reload = broker.reload
    clients: list[Client] = []

    def client(username: str, password: str, client_id: str | None = None) -> Client:
        made = Client(broker.port, username, password, client_id).connect()
        clients.append(made)
        return made

    yield sync, broker, client
    for made in clients:
        made.close()
    broker.stop()


def _enrolled(registry, device_id: str):
    return registry.enroll(registry.register(device_id, kind="kiosk", unit_code=GRID, by="admin").code)


def test_broker_accepts_generated_accounts_and_pins_each_device_to_its_topics(broker_registry, secured):
    registry = broker_registry
    sync, broker, client = secured
    a, b = _enrolled(registry, "kiosk-a-01"), _enrolled(registry, "kiosk-b-01")
    assert sync.sync_once() and not sync.sync_once()  # applied once; nothing changed since
    hub = client(HUB_USER, HUB_PASSWORD)
    hub.subscribe(topics.all_uplinks_filter())
    dev_a = client(a.username, a.password, client_id="kiosk-b-01")  # asks for B's session ...
    dev_b = client(b.username, b.password)
    assert hub.connected.is_set() and dev_a.connected.is_set() and dev_b.connected.is_set()
    assert "as kiosk-a-01 " in broker.log_file.read_text()  # ... and gets its own: client id := account
    dev_a.subscribe(topics.downlink("kiosk-b-01"))
    dev_a.subscribe(topics.receipt("kiosk-b-01"))
    dev_a.subscribe(topics.all_uplinks_filter())
    for device, own in ((dev_a, "kiosk-a-01"), (dev_b, "kiosk-b-01")):
        device.subscribe(topics.downlink(own))
        device.subscribe(topics.hub_status())
    dev_b.subscribe(topics.receipt("kiosk-b-01"))
    dev_a.publish(topics.uplink("kiosk-a-01", "report"), b"mine")
    hub.publish(topics.downlink("kiosk-b-01"), b"for B")
    hub.publish(topics.hub_status(), b"online")
    time.sleep(0.5)
    assert hub.messages == [(topics.uplink("kiosk-a-01", "report"), b"mine")]
    assert (topics.downlink("kiosk-b-01"), b"for B") in dev_b.messages
    assert [t for t, _ in dev_a.messages] == [topics.hub_status()]  # subscribed to B's topics, got nothing of them
    # Speaking as B: each refused (PUBACK "not authorised", and Mosquitto drops the connection).
    dev_a.publish(topics.uplink("kiosk-b-01", "report"), b"spoof")
    client(a.username, a.password).publish(topics.receipt("kiosk-b-01"), b"forged receipt")
    time.sleep(0.5)
    assert dev_a.disconnected_at is not None
    assert hub.messages == [(topics.uplink("kiosk-a-01", "report"), b"mine")]
    assert not [m for m in dev_b.messages if m[0] == topics.receipt("kiosk-b-01")]
    assert client(a.username, "wrong-password").connack == 135  # Mosquitto answers "not authorised"
    assert client("kiosk-nobody-01", a.password).connack == 135


def test_revocation_cuts_a_connected_device_within_one_sync_and_refuses_it_after(broker_registry, secured):
    registry = broker_registry
    sync, broker, client = secured
    a = _enrolled(registry, "kiosk-a-01")
    sync.sync_once()
    device = client(a.username, a.password)
    assert device.connected.is_set()
    stop = threading.Event()
    sync.interval_s = 1.0
    runner = threading.Thread(target=sync.run_forever, args=(stop,), daemon=True)
    runner.start()
    try:
        revoked_at = time.monotonic()
        registry.revoke("kiosk-a-01", by="admin", reason="lost")
        deadline = revoked_at + 60
        while device.disconnected_at is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert device.disconnected_at is not None, "still connected 60 s after revocation"
        cut_after = device.disconnected_at - revoked_at
        print(f"revocation cut-off: {cut_after:.2f} s (sync period {sync.interval_s:g} s)")
        assert cut_after <= sync.interval_s + 2
        assert client(a.username, a.password).connack == 135  # not authorised, from now on
    finally:
        stop.set()
        runner.join(5)


# -- the admin API and the enrolment endpoint ------------------------------------------------------------
PASSWORD = "Grid-line-2026!"


@pytest.fixture
def api(registry, store, tmp_path):
    from fastapi.testclient import TestClient

    from hub.app import create_app
    from hub.auth.operators import OperatorDirectory
    from hub.settings import HubSettings

    directory = OperatorDirectory(store, clock=store.clock)
    directory.create("admin", PASSWORD, role="admin", scope_code="440402004005")
    directory.create("other", PASSWORD, role="admin", scope_code="440402")
    directory.create("chen", PASSWORD, role="dispatcher", scope_code="440402004005")
    settings = HubSettings(data_dir=tmp_path / "data", broker_url=f"mqtt://{HUB_USER}:{HUB_PASSWORD}@10.1.2.3:1883",
                           enroll_attempts_per_min=3)
    app = create_app(settings, store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        login = password_login(client, PASSWORD)
        yield client, login


def test_admin_registers_device_gets_code_and_qr_device_enrolls_once(api):
    import cv2

    client, login = api
    admin = login("admin")
    body = {"device_id": "tablet-new-01", "kind": "tablet", "unit_code": GRID, "owner_person_id": "p-lead-01"}
    assert client.post("/api/devices", json=body, headers=login("chen")).status_code == 403  # admins only
    r = client.post("/api/devices", json=body, headers=admin)
    assert r.status_code == 201, r.text
    issued = r.json()
    png = np.frombuffer(base64.b64decode(issued["qr_png_base64"]), np.uint8)
    text = read_qr(cv2.imdecode(png, cv2.IMREAD_COLOR))  # as a terminal's camera reads it
    assert text == issued["qr_text"] and issued["code"] in text and text.startswith("gridline://enroll?")
    assert client.post("/api/devices", json=body, headers=admin).status_code == 409
    got = client.post("/api/enroll", json={"code": issued["code"]})  # no operator sign-in
    assert got.status_code == 200, got.text
    creds = got.json()
    assert creds["device_id"] == creds["username"] == "tablet-new-01" and len(creds["password"]) >= 40
    assert creds["broker_url"] == "mqtt://10.1.2.3:1883"  # the hub's broker, without the hub's credentials
    assert client.post("/api/enroll", json={"code": issued["code"]}).status_code == 400
    identity = client.get("/api/devices/tablet-new-01/identity", headers=admin).json()
    assert identity["state"] == "active" and identity["owner_person_id"] == "p-lead-01"
    r = client.post("/api/devices/tablet-new-01/revoke", json={"reason": "平板遗失"}, headers=admin)
    assert r.json()["state"] == "revoked" and r.json()["revoke_reason"] == "平板遗失"
    assert [i["state"] for i in client.get("/api/device-identities", headers=admin).json()] == ["revoked"]


def test_enrolment_is_rate_limited_and_scope_is_enforced(api, registry):
    client, login = api
    for _ in range(3):
        assert client.post("/api/enroll", json={"code": "AAAA-BBBB-CCCC"}).status_code == 400
    r = client.post("/api/enroll", json={"code": "AAAA-BBBB-CCCC"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    registry.register("kiosk-far-01", kind="kiosk", unit_code="440402004", by="cli")  # the street, above the admin
    assert client.get("/api/devices/kiosk-far-01/identity", headers=login("admin")).status_code == 404
    assert client.post("/api/devices/kiosk-far-01/revoke", json={}, headers=login("admin")).status_code == 404
    assert client.get("/api/devices/kiosk-far-01/identity", headers=login("other")).status_code == 200


def test_cli_add_list_revoke(tmp_path, capsys):
    from gridline.cli import main

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    store = HubStore(db, tmp_path / "data")
    store.migrate()
    load_community(store, sample.load_raw())
    store.close()
    qr = tmp_path / "code.png"
    assert main(["hub", "devices", "add", "phone-cli-01", "--kind", "phone", "--unit", GRID, "--db", db,
                 "--qr", str(qr), "--hub-url", "http://10.0.0.5:8080"]) == 0
    out = capsys.readouterr().out
    assert "enrolment code" in out and qr.read_bytes()[:4] == b"\x89PNG"
    assert main(["hub", "devices", "add", "phone-cli-01", "--kind", "phone", "--unit", GRID, "--db", db]) == 2
    auth_dir = tmp_path / "auth"
    assert main(["hub", "devices", "revoke", "phone-cli-01", "--reason", "lost", "--db", db]) == 0
    assert main(["hub", "devices", "list", "--db", db]) == 0
    assert "phone-cli-01\trevoked\tphone" in capsys.readouterr().out
    import os
    os.environ["GRIDLINE_BROKER_URL"] = f"mqtt://{HUB_USER}:{HUB_PASSWORD}@127.0.0.1:1883"
    try:
        assert main(["hub", "devices", "broker-files", "--out", str(auth_dir), "--db", db]) == 0
    finally:
        del os.environ["GRIDLINE_BROKER_URL"]
    assert (auth_dir / "passwd").read_text().startswith(f"{HUB_USER}:$7$")
    assert "pattern write gridline/v1/dev/%u/up/+" in (auth_dir / "acl").read_text()
