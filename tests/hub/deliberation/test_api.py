"""``/api/deliberation``: an operator opens a topic for a unit in their subtree (card keys only), moderates comments
and closes the vote with its resolution; another grid's operator sees none of it (404, as if absent); viewers only
read; bad input is a clear 4xx (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.deliberation.job import DeliberationJob
from hub.mqtt.ingest import ingest_batch
from hub.settings import HubSettings
from tests.hub.conftest import T0, Device, raw
from tests.hub.deliberation.helpers import COMMUNITY, card, comment, deliver, load_sample, vote

GRID_1, GRID_2 = COMMUNITY + "001", COMMUNITY + "002"


@pytest.fixture
def app(store, tmp_path):
    load_sample(store)
    return create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)


def topic_in(unit: str, **vote) -> dict:
    body = {"unit_code": unit, "title": "文明养犬公约（草案）", "background": "请提意见",
            "comments_until": (T0 + timedelta(days=10)).isoformat()}
    if vote:
        body["vote"] = {"options": [{"key": "agree", "label": "同意"}, {"key": "disagree", "label": "不同意"}],
                        "closes_at": (T0 + timedelta(days=10)).isoformat(), **vote}
    return body


def test_open_moderate_close_within_scope(app, store, clock, sign_in):
    with TestClient(app) as client:
        sign_in(client, store, role="dispatcher")
        made = client.post("/api/deliberation/topics", json={
            **topic_in(COMMUNITY, eligibility="representatives"), "representatives": [card(1), card(2)]})
        assert made.status_code == 201, made.text
        topic = made.json()
        assert topic["eligible"] == 2 and topic["voters"] == 0 and topic["version"] == 1
        assert len(topic["grids"]) == 5
        topic_id = topic["id"]

        said = comment(topic_id, "kiosk-fs-02", card(1), "建议增设宠物活动区")
        deliver(store, said, vote(topic_id, "kiosk-fs-02", card(1), "agree", T0 + timedelta(hours=1)),
                vote(topic_id, "kiosk-fs-03", card(1), "disagree", T0 + timedelta(hours=2)))
        DeliberationJob(store, None, store.clock).run_once()
        [queued] = client.get("/api/deliberation/comments").json()
        assert queued["text"] == "建议增设宠物活动区" and card(1) not in str(queued)
        live = client.get(f"/api/deliberation/topics/{topic_id}").json()
        assert live["counts"] == {"agree": 1} and live["turnout"] == 0.5
        assert {g["unit_code"]: g["voters"] for g in live["grids"]}[GRID_2] == 1

        sign_in(client, store, role="dispatcher", scope=GRID_1)  # another grid: the community's topic is not theirs
        assert client.get(f"/api/deliberation/topics/{topic_id}").status_code == 404
        assert client.get("/api/deliberation/topics").json() == []
        assert client.post(f"/api/deliberation/comments/{said.id}", json={"decision": "approve"}).status_code == 404
        assert client.post(f"/api/deliberation/topics/{topic_id}/close", json={}).status_code == 404
        assert client.post("/api/deliberation/topics", json=topic_in(GRID_2)).status_code == 404

        sign_in(client, store, role="viewer")
        assert client.post(f"/api/deliberation/comments/{said.id}", json={"decision": "approve"}).status_code == 403

        sign_in(client, store, role="dispatcher")
        assert client.post(f"/api/deliberation/comments/{said.id}",
                           json={"decision": "approve"}).json()["state"] == "approved"
        assert client.post(f"/api/deliberation/comments/{said.id}", json={"decision": "reject"}).status_code == 409
        closed = client.post(f"/api/deliberation/topics/{topic_id}/close",
                             json={"resolution": "公约通过", "notice_id": "notice-42"})
        assert closed.status_code == 200 and closed.json()["state"] == "closed"
        assert closed.json()["resolution"] == "公约通过" and closed.json()["notice_id"] == "notice-42"
        assert client.post(f"/api/deliberation/topics/{topic_id}/close", json={}).status_code == 409


def photo(store, device_id: str, seed: bytes) -> str:
    chunks = Device(device_id).photo_chunks(b"\x89PNG\r\n\x1a\n" + seed * 400)
    ingest_batch([raw(c) for c in chunks], store)
    return chunks[0].sha256


def test_a_topic_may_show_only_photos_the_operator_may_see(app, store, sign_in):
    ours, stranger = photo(store, "kiosk-fs-01", b"ours"), photo(store, "kiosk-elsewhere-01", b"theirs")
    with TestClient(app) as client:
        sign_in(client, store, role="dispatcher")
        made = client.post("/api/deliberation/topics", json={**topic_in(COMMUNITY), "images": [ours]})
        assert made.status_code == 201 and made.json()["images"] == [ours]
        assert client.post("/api/deliberation/topics", json={**topic_in(COMMUNITY), "images": [stranger]}
                           ).status_code == 422


def test_bad_input_is_refused_clearly(app, store, sign_in):
    with TestClient(app) as client:
        sign_in(client, store, role="dispatcher")
        card_number = {**topic_in(COMMUNITY, eligibility="representatives"), "representatives": ["440402199001011234"]}
        assert client.post("/api/deliberation/topics", json=card_number).status_code == 422  # keys, never numbers
        no_reps = topic_in(COMMUNITY, eligibility="representatives")
        assert client.post("/api/deliberation/topics", json=no_reps).status_code == 422
        same_keys = topic_in(COMMUNITY, changes_allowed=False)
        same_keys["vote"]["options"][1]["key"] = "agree"
        assert client.post("/api/deliberation/topics", json=same_keys).status_code == 422
        assert client.post("/api/deliberation/topics", json={**topic_in(COMMUNITY), "images": ["a" * 64]}
                           ).status_code == 422
        assert client.post("/api/deliberation/topics", json=topic_in("999999")).status_code == 404
        for end in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):  # past, or beyond any sensible period
            assert client.post("/api/deliberation/topics", json={**topic_in(COMMUNITY), "comments_until": end}
                               ).status_code == 422
        assert client.get("/api/deliberation/topics/nope").status_code == 404
