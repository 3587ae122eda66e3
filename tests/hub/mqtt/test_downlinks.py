"""Downlinks end to end: API -> hub -> broker -> the right device, re-sent until confirmed."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.org.geojson_io import load_community
from tests.hub.conftest import FakeTerminal, wait_until

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def api(hub_settings, sign_in):
    with TestClient(create_app(hub_settings)) as client:
        wait_until(lambda: client.get("/api/health").json()["broker"] == "connected")
        store = client.app.state.store
        load_community(store, sample.load_raw())
        sign_in(client, store, role="admin", scope="440400")  # raw messages: admins; unbound devices: the top unit
        yield client


PUBLISHED = "2024-06-01T08:00:00Z"


def notice_body(title: str) -> dict:
    return {"title": title, "text": "", "grid_code": None, "published_at": PUBLISHED}


def post_notice(api, device_id, title="清理楼道杂物"):
    """A grid notice, the kind an admin sends by hand (tasks come from case dispatch)."""
    response = api.post(f"/api/devices/{device_id}/messages", json={"kind": "notice", "body": notice_body(title)})
    assert response.status_code == 201, response.text
    return response.json()


def test_message_reaches_only_its_device_and_resends_until_confirmed(api, terminals):
    kiosk, bystander = terminals("kiosk"), terminals("tablet")
    wait_until(lambda: api.get(f"/api/devices/{kiosk.id}").status_code == 200)
    message = post_notice(api, kiosk.id)
    assert message["state"] == "sent" and message["send_count"] == 1
    wait_until(lambda: message["id"] in kiosk.downlink_ids())
    assert kiosk.downlinks[0].body == notice_body("清理楼道杂物") and kiosk.downlinks[0].device_id == kiosk.id
    # unconfirmed: the hub re-sends (downlink_resend_s=1 in these tests)
    wait_until(lambda: kiosk.downlink_ids().count(message["id"]) >= 2, timeout=10)
    kiosk.send(kiosk.confirm(message["id"]))
    wait_until(lambda: kiosk.confirmed_ids() == [message["id"]])
    stored = api.get(f"/api/devices/{kiosk.id}/messages").json()[0]
    assert stored["state"] == "delivered" and stored["delivered_at"]
    copies = len(kiosk.downlink_ids())
    time.sleep(2.5)
    assert len(kiosk.downlink_ids()) == copies  # confirmed: no more re-sends
    assert bystander.downlinks == []


def test_message_queued_while_offline_arrives_after_reconnect_even_without_session(api, terminals):
    kiosk = terminals("kiosk", clean=True)  # clean session: the broker keeps nothing for it
    wait_until(lambda: (api.get(f"/api/devices/{kiosk.id}").json() or {}).get("state") == "online")
    kiosk.drop()
    wait_until(lambda: api.get(f"/api/devices/{kiosk.id}").json()["state"] == "offline", timeout=60)
    message = post_notice(api, kiosk.id, "到社区服务站领取物资")
    time.sleep(0.5)
    back = FakeTerminal(kiosk.id, api.app.state.broker_url, clean=True).connect()
    try:
        wait_until(lambda: message["id"] in back.downlink_ids(), timeout=10)
        back.send(back.confirm(message["id"], "read"))
        wait_until(lambda: back.confirmed_ids() == [message["id"]])
        assert api.get(f"/api/devices/{kiosk.id}/messages").json()[0]["state"] == "read"
    finally:
        back.disconnect()


def test_expired_message_is_not_sent(api, terminals):
    kiosk = terminals("kiosk")
    wait_until(lambda: api.get(f"/api/devices/{kiosk.id}").status_code == 200)  # its "online" is processed
    response = api.post(f"/api/devices/{kiosk.id}/messages",
                        json={"kind": "notice", "body": notice_body("停水通知"), "ttl_s": 0.3})
    message = response.json()
    wait_until(lambda: api.get(f"/api/devices/{kiosk.id}/messages").json()[0]["state"] == "expired", timeout=5)
    count = kiosk.downlink_ids().count(message["id"])
    time.sleep(1.5)
    assert kiosk.downlink_ids().count(message["id"]) == count <= 1
