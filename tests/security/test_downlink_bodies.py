"""Downlinks are validated (issue 14 item 10), on SQLite and PostgreSQL: ``POST /api/devices/{id}/messages`` takes
only what a kiosk can show - a ``notice`` whose body ``NoticeBody`` reads, exactly as the kiosk decodes it - and
refuses with 422 and the reason (nothing queued) the demo's old welcome notice (``grid`` for ``grid_code``, no
``published_at``), a notice without a title, the hub's own kinds (``task`` from case dispatch, ``taxonomy`` from
the taxonomy sync) and kinds no terminal reads. An accepted notice is shown by the kiosk it was sent to."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.store import HubStore
from protocol import DownlinkMessage, NoticeBody, downlink_body
from terminal.store import TerminalStore
from terminal.tasks import displayed_notices

pytest_plugins = ["tests.security.publication_fixtures"]  # pub_store, pub_app, ... (no conftest.py here)
KIOSK, GRID = "kiosk-fs-01", "440402004005001"  # the sample's kiosk of 福石 grid 1
DEMO_WELCOME = {"title": "欢迎使用 Gridline", "text": "福石一网格：演示开始", "grid": GRID}  # as the demo sent it


@pytest.fixture
def admin(pub_app, pub_store: HubStore, pub_fushi, sign_in):
    with TestClient(pub_app) as client:
        sign_in(client, pub_store, role="admin", scope="440400")  # raw messages: admins
        client.cookies.clear()  # the Bearer header only
        yield client


@pytest.mark.parametrize(("kind", "body", "code", "words"), [
    ("notice", DEMO_WELCOME, "invalid_body", "grid"),
    ("notice", {"title": "欢迎", "grid_code": GRID}, "invalid_body", "published_at"),
    ("notice", {"text": "没有标题", "published_at": "2026-12-04T09:00:00+08:00"}, "invalid_body", "title"),
    ("notice", {"title": "欢迎", "published_at": "2026-12-04T09:00:00"}, "invalid_body", "published_at"),  # no zone
    ("notice", {}, "invalid_body", "title"),
    ("task", {"title": "清理楼道杂物"}, "hub_only_kind", "dispatch"),
    ("taxonomy", {"revision": "0" * 16}, "hub_only_kind", "taxonomy"),
    ("config", {"volume": 3}, "unknown_kind", "config"),
])
def test_bodies_a_kiosk_cannot_show_are_refused(admin, pub_store: HubStore, kind, body, code, words):
    response = admin.post(f"/api/devices/{KIOSK}/messages", json={"kind": kind, "body": body})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["code"] == code and words in detail["en"] and detail["zh"], detail
    assert pub_store.list_downlinks(KIOSK) == []  # nothing queued


def test_the_demos_welcome_notice_fixed_is_one_the_kiosk_shows(admin, pub_store: HubStore, tmp_path: Path):
    refused = admin.post(f"/api/devices/{KIOSK}/messages", json={"kind": "notice", "body": DEMO_WELCOME})
    assert refused.status_code == 422 and pub_store.list_downlinks(KIOSK) == [], refused.text
    body = {"title": "欢迎使用 Gridline", "text": "福石一网格：演示开始", "grid_code": GRID,
            "published_at": "2026-12-04T08:00:00+08:00"}
    response = admin.post(f"/api/devices/{KIOSK}/messages", json={"kind": "notice", "body": body, "ttl_s": 3600})
    assert response.status_code == 201, response.text
    [row] = pub_store.list_downlinks(KIOSK)
    message = DownlinkMessage(id=row.id, device_id=KIOSK, kind=row.kind, body=row.body_dict(),
                              created_at=row.created_at)
    notice = downlink_body(message)
    assert isinstance(notice, NoticeBody) and notice.title == "欢迎使用 Gridline"
    kiosk = TerminalStore(tmp_path / "kiosk" / "terminal.db", KIOSK)
    try:
        kiosk.store_downlink(message)
        assert [i for i, _ in displayed_notices(kiosk, GRID)] == [row.id]
    finally:
        kiosk.close()
