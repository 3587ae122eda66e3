"""A revoked device's presence (both backends): the moment an admin revokes it, its row in ``devices`` says
``revoked`` - in ``/api/devices``, in ``/api/map/devices`` (the devices page and the map's dots) and in the live
stream's presence changes (``status_changed_after``, what hub/web/publisher.py polls) - and nothing the device
still sends turns it back online: its retained last will, an ``online`` status or a report sent before the broker
drops it. Its broker account is gone at once (the password file the hub writes no longer has it). A new
enrolment code makes it ``offline``, and once it connects with its new password it is online again."""
from __future__ import annotations

import pytest

from hub import sample
from hub.devices import DeviceRegistry
from hub.devices.broker_sync import BrokerAuthSync
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.store import devices as device_rows
from hub.web.publisher import LivePublisher
from tests.hub.conftest import Device, raw
from tests.hub.devices.conftest import password_login

GRID1, COMMUNITY = "440402004005001", "440402004005"
PASSWORD = "Grid-line-2026!"
KIOSK = "kiosk-rv-01"


@pytest.fixture
def api(store, tmp_path, clock):
    from fastapi.testclient import TestClient

    from hub.app import create_app
    from hub.auth.operators import OperatorDirectory
    from hub.settings import HubSettings

    load_community(store, sample.load_raw(), clock=clock)
    OperatorDirectory(store, clock=store.clock).create("admin", PASSWORD, role="admin", scope_code=COMMUNITY)
    OperatorDirectory(store, clock=store.clock).create("clerk", PASSWORD, role="dispatcher", scope_code=COMMUNITY)
    settings = HubSettings(data_dir=tmp_path / "data", broker_url="mqtt://10.1.2.3:1883")
    app = create_app(settings, store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as client:
        login = password_login(client, PASSWORD)
        yield client, login


def status(store, clock, device: Device, state: str) -> None:
    clock.advance(1)
    topic, payload = device.status(state)
    ingest_batch([RawMessage(topic, payload, clock())], store)


def shown_state(client, headers, device_id: str) -> tuple[str, str]:
    """(the presence list's state, the map / devices page's state) of one device."""
    [listed] = [d for d in client.get("/api/devices", headers=headers).json() if d["id"] == device_id]
    [dot] = [d for d in client.get("/api/map/devices", headers=headers).json()["devices"] if d["id"] == device_id]
    return listed["state"], dot["state"]


def test_revoked_at_once_everywhere_and_late_messages_do_not_bring_it_back(api, store, clock, tmp_path):
    client, login = api
    admin, clerk = login("admin"), login("clerk")
    registry = DeviceRegistry(store, clock=clock)
    assert client.post("/api/devices", json={"device_id": KIOSK, "kind": "kiosk", "unit_code": GRID1},
                       headers=admin).status_code == 201
    enrolled = registry.enroll(registry.issue_code(KIOSK, by="admin").code)
    sync = BrokerAuthSync(registry, tmp_path / "auth", "gridline-hub", "hub-secret")
    sync.sync_once()
    assert f"{KIOSK}:$7$" in sync.password_file.read_text()

    kiosk = Device(KIOSK)
    status(store, clock, kiosk, "online")
    clock.advance(1)
    ingest_batch([raw(kiosk.heartbeat(), clock())], store)
    assert shown_state(client, clerk, KIOSK) == ("online", "online")
    live = LivePublisher(store, clock=clock)
    live._start_cursors()  # the live stream, as it stands when the admin acts
    assert live.poll_once()[1] == []

    clock.advance(1)
    revoked = client.post(f"/api/devices/{KIOSK}/revoke", json={"reason": "终端被盗"}, headers=admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    # (1) broker access: out of the password file the hub writes for the broker (the next sync, woken by the API)
    assert sync.sync_once() and f"{KIOSK}:" not in sync.password_file.read_text()
    # (2) presence: at once, for everyone who sees the device, and on the live stream
    assert shown_state(client, clerk, KIOSK) == ("revoked", "revoked")
    assert shown_state(client, admin, KIOSK) == ("revoked", "revoked")
    [change] = live.poll_once()[1]
    assert (change["id"], change["state"], change["unit"]) == (KIOSK, "revoked", GRID1)
    assert [d.id for d in store.list_devices("revoked")] == [KIOSK]

    # (3) what the device still sends before the broker drops it, and its last will after: still revoked
    status(store, clock, kiosk, "online")
    clock.advance(1)
    spoke_at = clock()
    ingest_batch([raw(kiosk.report("被盗后的上报"), spoke_at), raw(kiosk.heartbeat(spoke_at), spoke_at)], store)
    status(store, clock, kiosk, "offline")
    status(store, clock, kiosk, "online")
    assert shown_state(client, clerk, KIOSK) == ("revoked", "revoked")
    assert {c["state"] for c in live.poll_once()[1] if c["id"] == KIOSK} == {"revoked"}
    assert store.count_records(device_id=KIOSK) == 1  # what it sent is kept, as before; only presence is pinned
    with store.read() as conn:
        heard = device_rows.get(conn, KIOSK)
    assert heard is not None and heard.last_seen == spoke_at  # still heard: the page shows when it last spoke

    # A new code: no longer revoked (offline, it has no password yet); enrolled and connected: online again.
    clock.advance(1)
    code = client.post(f"/api/devices/{KIOSK}/enrollment-code", headers=admin).json()["code"]
    assert shown_state(client, clerk, KIOSK) == ("offline", "offline")
    assert [c["state"] for c in live.poll_once()[1] if c["id"] == KIOSK] == ["offline"]
    again = registry.enroll(code)
    assert again.password != enrolled.password
    status(store, clock, kiosk, "online")
    assert shown_state(client, clerk, KIOSK) == ("online", "online")


def test_a_device_never_heard_from_stays_revoked_when_it_speaks_later(store, clock):
    """Revoked before its presence row existed: the row is made revoked, so a first message cannot insert it online
    (a broker without the hub's accounts, or the seconds before a reload)."""
    load_community(store, sample.load_raw(), clock=clock)
    registry = DeviceRegistry(store, clock=clock)
    registry.register("phone-rv-02", kind="phone", unit_code=GRID1, by="admin")
    assert store.get_device("phone-rv-02") is None
    registry.revoke("phone-rv-02", by="admin", reason="手机遗失")
    row = store.get_device("phone-rv-02")
    assert (row.state, row.last_seen) == ("revoked", None)
    status(store, clock, Device("phone-rv-02"), "online")
    assert store.get_device("phone-rv-02").state == "revoked"
    registry.issue_code("phone-rv-02", by="admin")
    assert store.get_device("phone-rv-02").state == "offline"
