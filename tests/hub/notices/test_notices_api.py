"""居务公开 at the hub (SQLite and PostgreSQL): a notice reaches exactly the kiosks of its target's subtree as a
``bulletin`` downlink the kiosk can decode; delivered/shown counts follow the kiosks' confirmations; a kiosk bound
later gets it while it is live, not after it expired; amend is version n+1 under the same id; withdraw takes it back
and keeps the history; a community operator cannot target (or see) another community's notices."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import cv2
import numpy as np

from hub.mqtt.ingest import ingest_batch
from hub.notices.service import NoticeService
from hub.org.repo import DeviceBinding, save_device_bindings
from protocol import MAX_BULLETIN_IMAGE_BYTES, MAX_PAYLOAD_BYTES, BulletinBody, DownlinkMessage, encode
from tests.hub.api.triage_fixtures import *  # noqa: F403 - the fixtures: world, client, operators
from tests.hub.api.triage_fixtures import CUIWEI, CUIWEI_GRID, FUSHI, GRID, STREET
from tests.hub.conftest import Device, raw

FUSHI_KIOSKS = {f"kiosk-fs-0{n}" for n in range(1, 6)}


def notice(**overrides) -> dict:
    return {"title": "2026年第三季度财务公示", "text": "收入 12.6 万元，支出 9.8 万元。", "category": "finance",
            "target_code": FUSHI, **overrides}


def bulletins(store, device_id: str) -> list[tuple[str, BulletinBody]]:
    """The bulletins queued for a device, highest (version, withdrawn) first (the test clock stands still)."""
    found = [(row.id, BulletinBody.model_validate_json(row.body)) for row in store.list_downlinks(device_id)
             if row.kind == "bulletin"]
    return sorted(found, key=lambda x: (x[1].version, x[1].withdrawn), reverse=True)


def photo_b64(width: int = 1600, height: int = 1200) -> str:
    noise = np.random.default_rng(7).integers(0, 255, (height, width, 3), dtype=np.uint8)  # worst case for JPEG
    ok, encoded = cv2.imencode(".png", noise)
    assert ok
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode()


def test_a_community_notice_reaches_its_kiosks_and_counts_what_they_confirm(client, store, operators):
    disp = operators["p-disp-fs"]
    response = client.post("/api/notices", json=notice(pinned=True, images=[photo_b64()]), headers=disp)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["version"], created["state"], created["category_zh"]) == (1, "published", "财务公开")
    assert created["counts"] == {"kiosks": 5, "delivered": 0, "shown": 0}
    assert {d["device_id"] for d in created["deliveries"]} == FUSHI_KIOSKS
    assert bulletins(store, "kiosk-cw-01") == [] and all(  # 翠微's kiosk and the phones get nothing
        bulletins(store, d) == [] for d in ("phone-fs-lead-01", "tablet-fs-01"))

    [(message_id, body)] = bulletins(store, "kiosk-fs-03")
    assert (body.notice_id, body.version, body.category, body.pinned) == (created["id"], 1, "finance", True)
    [image] = body.images
    jpeg = base64.b64decode(image.jpeg_b64)
    assert len(jpeg) <= MAX_BULLETIN_IMAGE_BYTES and cv2.imdecode(np.frombuffer(jpeg, np.uint8), 1) is not None
    row = store.get_downlink(message_id)
    wire = encode(DownlinkMessage(id=row.id, device_id=row.device_id, kind=row.kind, body=json.loads(row.body),
                                  created_at=row.created_at, expires_at=row.expires_at))
    assert len(wire) < MAX_PAYLOAD_BYTES // 4, len(wire)  # a noise photo of 1600x1200 still rides small

    # kiosk 3 confirms delivered, kiosk 4 delivered and shown on screen (READ)
    k3, k4 = Device("kiosk-fs-03"), Device("kiosk-fs-04")
    [(m4, _)] = bulletins(store, "kiosk-fs-04")
    ingest_batch([raw(k3.confirm(message_id)), raw(k4.confirm(m4)), raw(k4.confirm(m4, "read"))], store)
    listed = client.get("/api/notices", headers=disp).json()
    assert [(n["id"], n["counts"]) for n in listed] == [(created["id"], {"kiosks": 5, "delivered": 2, "shown": 1})]
    detail = client.get(f"/api/notices/{created['id']}", headers=disp).json()
    by_device = {d["device_id"]: d for d in detail["deliveries"]}
    assert by_device["kiosk-fs-04"]["shown_at"] and by_device["kiosk-fs-03"]["delivered_at"]
    assert by_device["kiosk-fs-03"]["shown_at"] is None and by_device["kiosk-fs-05"]["delivered_at"] is None
    assert detail["images"][0]["sha256"] == image.sha256


def test_a_grid_notice_reaches_only_that_grids_kiosk_and_a_street_notice_both_communities(client, store, operators):
    client.post("/api/notices", json=notice(target_code=GRID[2], category="procedures"),
                headers=operators["p-disp-fs"]).raise_for_status()
    assert {d for d in FUSHI_KIOSKS | {"kiosk-cw-01"} if bulletins(store, d)} == {"kiosk-fs-02"}
    street = client.post("/api/notices", json=notice(target_code=STREET, category="affairs"),
                         headers=operators["p-sup-st"]).json()
    assert street["counts"]["kiosks"] == 6 and street["target_name"]
    assert len(bulletins(store, "kiosk-cw-01")) == 1 and len(bulletins(store, "kiosk-fs-02")) == 2


def test_a_community_operator_cannot_target_or_see_another_community(client, store, clock, operators):
    fushi, cuiwei = operators["p-disp-fs"], operators["p-disp-cw"]
    for target in (CUIWEI, CUIWEI_GRID, STREET):  # another community, its grid, the street above
        response = client.post("/api/notices", json=notice(target_code=target), headers=fushi)
        assert response.status_code == 404, (target, response.text)
    assert bulletins(store, "kiosk-cw-01") == []
    theirs = client.post("/api/notices", json=notice(target_code=CUIWEI), headers=cuiwei).json()
    assert client.get(f"/api/notices/{theirs['id']}", headers=fushi).status_code == 404
    assert client.put(f"/api/notices/{theirs['id']}", json=notice(target_code=CUIWEI), headers=fushi).status_code == 404
    assert client.post(f"/api/notices/{theirs['id']}/withdraw", headers=fushi).status_code == 404
    assert client.get("/api/notices", headers=fushi).json() == []
    clock.advance(60)
    ours = client.post("/api/notices", json=notice(), headers=fushi).json()
    # amending one's own notice towards another community is refused like a path outside the scope
    assert client.put(f"/api/notices/{ours['id']}", json=notice(target_code=CUIWEI), headers=fushi).status_code == 404
    assert client.post("/api/notices", json=notice(), headers=operators["viewer"]).status_code == 403
    assert [n["id"] for n in client.get("/api/notices", headers=operators["p-sup-st"]).json()] \
        == [ours["id"], theirs["id"]]  # the street sees both; newest first


def test_bad_input_is_refused_with_reasons_and_nothing_is_queued(client, store, operators, sign_in):
    disp = operators["p-disp-fs"]
    cases = [notice(category="gossip"), notice(title=""), notice(target_code="abc"),
             notice(expires_at="2020-01-01T00:00:00Z"), notice(images=["bm90IGFuIGltYWdl"]),
             notice(images=["!!"]), notice(images=[""]), notice(images=[photo_b64(10, 10)] * 4),
             notice(publish_at="2020-01-01T00:00:00Z")]
    for body in cases:
        response = client.post("/api/notices", json=body, headers=disp)
        assert response.status_code == 422, (body.get("category"), response.text)
    assert client.post("/api/notices", json=notice(category="gossip"), headers=disp).json()["detail"]["code"] \
        == "unknown_category"
    assert client.get("/api/notices", params={"state": "all"}, headers=disp).json() == []
    # a raw bulletin through the admins' message route would bypass versions and delivery counts: refused
    admin = {"Authorization": "Bearer " + sign_in(client, store, role="admin", scope=FUSHI, set_default=False)}
    raw_send = client.post("/api/devices/kiosk-fs-01/messages", headers=admin, json={"kind": "bulletin", "body": {}})
    assert raw_send.status_code == 422 and raw_send.json()["detail"]["code"] == "hub_only_kind"
    assert all(bulletins(store, d) == [] for d in FUSHI_KIOSKS)


def test_amend_is_a_new_version_and_withdraw_takes_it_back_keeping_history(client, store, operators):
    disp = operators["p-disp-fs"]
    first = client.post("/api/notices", json=notice(target_code=GRID[1], images=[photo_b64(400, 300)]),
                        headers=disp).json()
    kept = first["images"][0]["sha256"]
    amended = client.put(f"/api/notices/{first['id']}", headers=disp, json={
        **notice(target_code=GRID[2], title="2026年第三季度财务公示（更正）"), "images": [kept],
        "expected_version": 1}).json()
    assert (amended["id"], amended["version"], amended["title"]) == (first["id"], 2, "2026年第三季度财务公示（更正）")
    assert amended["images"][0]["sha256"] == kept  # kept by naming it, not uploaded again
    stale = client.put(f"/api/notices/{first['id']}", headers=disp, json={**notice(), "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["detail"]["code"] == "version_conflict"
    # grid 1's kiosk had v1 and is no longer targeted: it gets a withdrawal; grid 2's kiosk gets v2
    assert [(b.version, b.withdrawn) for _, b in bulletins(store, "kiosk-fs-01")] == [(2, True), (1, False)]
    assert [(b.version, b.withdrawn, b.title) for _, b in bulletins(store, "kiosk-fs-02")] \
        == [(2, False, "2026年第三季度财务公示（更正）")]
    assert amended["counts"] == {"kiosks": 1, "delivered": 0, "shown": 0}

    gone = client.post(f"/api/notices/{first['id']}/withdraw", headers=disp).json()
    assert gone["state"] == "withdrawn" and gone["withdrawn_at"]
    assert [(b.version, b.withdrawn) for _, b in bulletins(store, "kiosk-fs-02")][0] == (2, True)
    withdrawal = bulletins(store, "kiosk-fs-02")[0][1]
    assert withdrawal.text == "" and withdrawal.images == []
    assert client.get("/api/notices", headers=disp).json() == []
    history = client.get("/api/notices", params={"state": "history"}, headers=disp).json()
    assert [n["id"] for n in history] == [first["id"]]
    detail = client.get(f"/api/notices/{first['id']}", headers=disp).json()
    assert [v["version"] for v in detail["versions"]] == [2, 1] and detail["versions"][1]["title"] == notice()["title"]
    again = client.post(f"/api/notices/{first['id']}/withdraw", headers=disp)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "withdrawn"
    assert NoticeService(store, clock=store.clock).fanout() == 0  # nothing more to send, ever


def test_a_kiosk_bound_later_gets_live_notices_but_not_expired_or_scheduled_ones(client, store, clock, operators):
    disp = operators["p-disp-fs"]
    live = client.post("/api/notices", json=notice(expires_at=(clock() + timedelta(days=7)).isoformat()),
                       headers=disp).json()
    short = client.post("/api/notices", json=notice(title="今晚停水", category="general",
                                                    expires_at=(clock() + timedelta(hours=1)).isoformat()),
                        headers=disp).json()
    later = client.post("/api/notices", json=notice(title="下周议事会议题", category="topics",
                                                    publish_at=(clock() + timedelta(days=1)).isoformat()),
                        headers=disp).json()
    assert later["state"] == "scheduled" and later["counts"]["kiosks"] == 0
    assert {b.notice_id for _, b in bulletins(store, "kiosk-fs-01")} == {live["id"], short["id"]}
    [short_row] = [r for r in store.list_downlinks("kiosk-fs-01") if short["id"] in r.body]
    assert short_row.expires_at == clock() + timedelta(hours=1)  # the hub stops re-sending at expiry too

    clock.advance(2 * 3600)  # the short one has expired; a new kiosk is bound in grid 3
    with store.write() as conn:
        save_device_bindings(conn, [DeviceBinding("kiosk-fs-03b", "kiosk", GRID[3])])
    service = NoticeService(store, clock=clock)
    assert service.fanout() == 1
    assert [b.notice_id for _, b in bulletins(store, "kiosk-fs-03b")] == [live["id"]]
    listed = client.get("/api/notices", headers=disp).json()
    assert [n["id"] for n in listed] == [later["id"], live["id"]]  # the expired one left the live list
    assert [n["state"] for n in client.get("/api/notices", params={"state": "history"}, headers=disp).json()] \
        == ["expired"]

    clock.advance(24 * 3600)  # the scheduled one's time has come: every kiosk, the new one included
    assert service.fanout() == 6
    assert {b.notice_id for _, b in bulletins(store, "kiosk-fs-03b")} == {live["id"], later["id"]}
    assert service.fanout() == 0
