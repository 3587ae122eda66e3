"""Open311 publishes no private free text (issue 14 item 6), on SQLite and PostgreSQL: a resident's phone number,
ID number, plate or e-mail typed into a report is masked in ``requests``; the staff's reasons and notes never
reach ``servicerequestupdates`` nor ``status_notes``; and an operator in scope (acting roles only) approves the
public description through ``PUT /api/cases/{id}/public-note``, which the access log records."""
from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.cases import CaseService
from hub.open311.redact import MASKS
from hub.store import HubStore
from hub.store.tables import access_log

pytest_plugins = ["tests.security.publication_fixtures"]  # pub_store, pub_app, ... (no conftest.py here)
COMMUNITY = "440402004005"  # 福石社区

PRIVATE_REPORT = ("3号楼垃圾箱满溢，请联系王阿姨 138-1234-5678 或 0756-3312345，身份证 44040219560304123X，"
                  "车牌粤C·D12345 的车挡住了，邮箱 wang.ayi@example.com")
SECRETS = ["138-1234-5678", "12345678", "0756-3312345", "44040219560304123X", "粤C·D12345", "D12345",
           "wang.ayi@example.com"]
STAFF_REASON = "举报人王阿姨要求保密，电话13987654321"
STAFF_NOTE = "内部：已电话联系13987654321，居民情绪激动"


def _open311(client: TestClient, path: str, **params: str) -> list[dict]:
    response = client.get(f"/open311/v2/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_requests_mask_a_residents_phone_id_plate_and_email(pub_app, pub_kiosk_case):
    case_id = pub_kiosk_case(PRIVATE_REPORT)
    with TestClient(pub_app) as client:
        for listing in (_open311(client, "requests.json"), _open311(client, f"requests/{case_id}.json")):
            [published] = [r for r in listing if r["service_request_id"] == case_id]
            description = published["description"]
            assert not [s for s in SECRETS if s in description], description
            assert description.startswith("3号楼垃圾箱满溢，请联系王阿姨 ")  # the rest of the text stays
            for kind in ("phone", "id_number", "plate", "email"):
                assert MASKS[kind] in description, (kind, description)
        xml = client.get(f"/open311/v2/requests/{case_id}.xml").content.decode("utf-8")
        assert "1234-5678" not in xml and "44040219560304123X" not in xml


def test_updates_and_status_notes_carry_no_staff_text(pub_app, pub_fushi: CaseService, pub_kiosk_case):
    kept = pub_kiosk_case("路灯不亮")
    pub_fushi.transition(kept, "note", "p-lead-01", note=STAFF_NOTE)
    pub_fushi.transition(kept, "file", "p-lead-01")
    refused = pub_kiosk_case("垃圾箱破损", seq=2, lat=22.2475)
    pub_fushi.transition(refused, "not_file", "p-lead-01", reason=STAFF_REASON)
    with TestClient(pub_app) as client:
        updates = _open311(client, "servicerequestupdates.json")
        mine = [u for u in updates if u["service_request_id"] in (kept, refused)]
        assert {u["description"].split()[1] for u in mine} >= {"report", "note", "file", "not_file"}
        for update in mine:
            assert "13987654321" not in update["description"] and "王阿姨" not in update["description"], update
            assert "内部" not in update["description"], update
        xml = client.get("/open311/v2/servicerequestupdates.xml").content.decode("utf-8")
        assert "13987654321" not in xml and STAFF_NOTE not in xml
        [not_filed] = _open311(client, f"requests/{refused}.json")
        assert not_filed["status"] == "closed" and "13987654321" not in not_filed["status_notes"]
        assert not_filed["status_notes"] == "不予立案 not_filed"


def test_an_operator_approves_the_public_description(pub_app, pub_store: HubStore, pub_kiosk_case,
                                                     pub_second_community: str, sign_in):
    case_id = pub_kiosk_case(PRIVATE_REPORT)
    approved = "3号楼前垃圾箱满溢，已通知环卫所清运。"
    with TestClient(pub_app) as client:
        tokens = []
        for role, scope in (("dispatcher", COMMUNITY), ("viewer", COMMUNITY), ("dispatcher", pub_second_community)):
            tokens.append(sign_in(client, pub_store, role=role, scope=scope, set_default=False))
            client.cookies.clear()  # no session cookie: each call names its operator with a Bearer token
        dispatcher, viewer, elsewhere = tokens

        def put(token: str, text: str | None):
            return client.put(f"/api/cases/{case_id}/public-note", json={"text": text},
                              headers={"Authorization": f"Bearer {token}"})

        assert client.put(f"/api/cases/{case_id}/public-note", json={"text": approved}).status_code == 401
        assert put(viewer, approved).status_code == 403  # viewers look, never act
        assert put(elsewhere, approved).status_code == 404  # another community's case is not even confirmed
        assert put(dispatcher, "x" * 1001).status_code == 422
        missing = client.put("/api/cases/0190a000-0000-7000-8000-000000000000/public-note", json={"text": "x"},
                             headers={"Authorization": f"Bearer {dispatcher}"})
        assert missing.status_code == 404
        [before] = _open311(client, f"requests/{case_id}.json")
        assert MASKS["phone"] in before["description"]

        answer = put(dispatcher, approved)
        assert answer.status_code == 200, answer.text
        assert answer.json()["public_note"] == approved and answer.json()["published"] == approved
        assert answer.json()["public_note_by"] and answer.json()["public_note_at"]
        assert answer.json()["identifiers"] == []
        hotline = put(dispatcher, "已清运，如有问题请拨社区热线 0756-3312345")
        assert hotline.status_code == 200 and hotline.json()["identifiers"] == ["phone"]  # flagged, still approved
        assert hotline.json()["published"] == "已清运，如有问题请拨社区热线 0756-3312345"
        answer = put(dispatcher, approved)
        [after] = _open311(client, f"requests/{case_id}.json")
        assert after["description"] == approved
        shown = client.get(f"/api/cases/{case_id}/public-note", headers={"Authorization": f"Bearer {viewer}"})
        assert shown.status_code == 200 and shown.json()["published"] == approved

        withdrawn = put(dispatcher, None)
        assert withdrawn.status_code == 200 and withdrawn.json()["public_note"] is None
        [again] = _open311(client, f"requests/{case_id}.json")
        assert MASKS["phone"] in again["description"] and "1234-5678" not in again["description"]
    with pub_store.engine.connect() as conn:
        logged = conn.execute(sa.select(access_log.c.method, access_log.c.route, access_log.c.status)
                              .where(access_log.c.route == "/api/cases/{case_id}/public-note")).all()
    assert ("PUT", "/api/cases/{case_id}/public-note", 200) in [tuple(r) for r in logged]
    assert ("PUT", "/api/cases/{case_id}/public-note", 403) in [tuple(r) for r in logged]
