"""Welfare API over a real store (SQLite and PostgreSQL), bridge disabled: enrol / update / pause / list by
subtree, the day's check statuses and a resident's history - by community operators acting as their linked
person (a volunteer's account may not manage; an account with no person may not act at all)."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.auth.operators import OperatorDirectory
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.settings import HubSettings
from protocol import ResidentCheckin, encode, uplink_topic_for, uuid7

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2024, 6, 3)
COMMUNITY, GRID1, GRID2 = "440402004005", "440402004005001", "440402004005002"
_seq = itertools.count(1)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH).astimezone(UTC)


TOKENS: dict[str, str] = {}  # person id → bearer token of a community operator linked to that person


@pytest.fixture
def client(store, tmp_path, clock, sign_in):
    clock.now = at(MONDAY - timedelta(days=1), 12)
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_people(conn, [Person("p-super", "督查员", "supervisor", COMMUNITY)])
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as test_client:
        # The test's clock jumps over days; sessions that outlive it keep one sign-in per account.
        test_client.app.state.operators = OperatorDirectory(store, clock=store.clock, session_ttl=timedelta(days=7))
        TOKENS.clear()
        for person in ("p-lead-01", "p-patrol-01", "p-worker-01"):  # the last one is the default identity
            TOKENS[person] = sign_in(test_client, store, person=person, username=f"op-{person}")
        TOKENS["ghost"] = sign_in(test_client, store, username="op-unlinked", set_default=False)
        yield test_client


def as_(person: str) -> dict:
    return {"Authorization": f"Bearer {TOKENS[person]}"}


def enrol_body(key: str, **kw) -> dict:
    return {"resident_key": key, "label": "3栋2单元 独居老人A", "grid_code": GRID1,
            "window_start": "07:00", "window_end": "10:00", "primary_helper": "p-patrol-01",
            "informed": ["p-lead-01"]} | kw


def checkin(store, clock, key: str, made_at: datetime) -> str:
    msg = ResidentCheckin(id=uuid7(), device_id="kiosk-fs-01", seq=next(_seq), created_at=made_at,
                          checkin_kind="wellbeing", resident_key=key)
    ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), clock.now)], store)
    return msg.id


def test_enrol_validates_and_refuses_duplicates(client):
    created = client.post("/api/welfare/enrolments", json=enrol_body("a" * 64))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["second_helper"] == "p-worker-01" and body["weekdays"] == [1, 2, 3, 4, 5, 6, 7]
    assert (body["window_start"], body["window_end"], body["active"]) == ("07:00", "10:00", True)
    assert body["enrolled_by"] == "p-worker-01" and body["informed"] == ["p-lead-01"]
    dup = client.post("/api/welfare/enrolments", json=enrol_body("a" * 64))
    assert dup.status_code == 409 and dup.json()["detail"]["code"] == "already_enrolled"
    bad = {
        "not a key": (enrol_body("4404021950"), 422, None),
        "not a grid": (enrol_body("b" * 64, grid_code=COMMUNITY), 422, "is not a grid"),
        "reversed window": (enrol_body("b" * 64, window_start="10:00", window_end="07:00"), 422, "start before"),
        "office helper": (enrol_body("b" * 64, primary_helper="p-super"), 422, "cannot take tasks"),
        "unknown helper": (enrol_body("b" * 64, informed=["nobody"]), 422, "unknown people"),
        "volunteer enrols": (enrol_body("b" * 64), 422, "may not manage", "p-patrol-01"),
        "no person": (enrol_body("b" * 64), 403, "must link it", "ghost"),
        "bad weekday": (enrol_body("b" * 64, weekdays=[0, 8]), 422, None),
        "same helpers": (enrol_body("b" * 64, second_helper="p-patrol-01"), 422, "must differ"),
    }
    for what, (payload, status, needle, *actor) in bad.items():
        response = client.post("/api/welfare/enrolments", json=payload, headers=as_(actor[0]) if actor else None)
        assert response.status_code == status, (what, response.text)
        if needle:
            assert needle in response.json()["detail"]["en"], (what, response.json())
    assert len(client.get("/api/welfare/enrolments").json()) == 1


def test_list_by_subtree_update_pause_resume(client):
    a = client.post("/api/welfare/enrolments", json=enrol_body("a" * 64)).json()
    client.post("/api/welfare/enrolments", json=enrol_body(
        "b" * 64, grid_code=GRID2, primary_helper="p-patrol-02", informed=[], label="河畔 空巢老人B"))
    assert len(client.get("/api/welfare/enrolments", params={"under": COMMUNITY}).json()) == 2
    assert len(client.get("/api/welfare/enrolments", params={"under": "440402004"}).json()) == 2
    [only] = client.get("/api/welfare/enrolments", params={"under": GRID2}).json()
    assert only["label"] == "河畔 空巢老人B" and only["second_helper"] == "p-worker-02"
    assert client.get("/api/welfare/enrolments", params={"under": "440402004006"}).json() == []

    changed = client.patch(f"/api/welfare/enrolments/{a['id']}",
                           json={"window_start": "08:00", "weekdays": [1, 3, 5]}, headers=as_("p-lead-01")).json()
    assert (changed["window_start"], changed["window_end"], changed["weekdays"]) == ("08:00", "10:00", [1, 3, 5])
    assert changed["updated_by"] == "p-lead-01" and changed["label"] == a["label"]
    refused = client.patch(f"/api/welfare/enrolments/{a['id']}", json={"window_end": "07:00"}, headers=as_("p-lead-01"))
    assert refused.status_code == 422
    assert client.patch(f"/api/welfare/enrolments/{a['id']}", json={"resident_key": "c" * 64},
                        headers=as_("p-lead-01")).status_code == 422  # the key is the resident: re-enrol instead

    moved = client.patch(f"/api/welfare/enrolments/{a['id']}",
                         json={"grid_code": GRID2, "primary_helper": "p-patrol-02"}, headers=as_("p-lead-01")).json()
    assert (moved["grid_code"], moved["second_helper"]) == (GRID2, "p-worker-02")  # the new grid's worker
    client.patch(f"/api/welfare/enrolments/{a['id']}",
                 json={"grid_code": GRID1, "primary_helper": "p-patrol-01"}, headers=as_("p-lead-01"))

    paused = client.post(f"/api/welfare/enrolments/{a['id']}/pause",
                         json={"reason": "住院", "until": "2024-06-10"}).json()
    assert not paused["active"] and paused["paused_until"] == "2024-06-10" and paused["paused_reason"] == "住院"
    assert client.post(f"/api/welfare/enrolments/{a['id']}/pause",
                       json={"reason": ""}).status_code == 422
    assert [e["id"] for e in client.get("/api/welfare/enrolments", params={"active": "true"}).json()] == [only["id"]]
    resumed = client.post(f"/api/welfare/enrolments/{a['id']}/resume").json()
    assert resumed["active"] and resumed["paused_until"] is None
    assert client.get(f"/api/welfare/enrolments/{a['id']}").json()["active"]
    assert client.get("/api/welfare/enrolments/nope").status_code == 404
    assert client.post("/api/welfare/enrolments/nope/resume").status_code == 404


def test_day_statuses_and_history(client, store, clock):
    ids = {}
    for key, extra in (("a" * 64, {}), ("b" * 64, {"label": "B"}), ("c" * 64, {"label": "C"}),
                       ("d" * 64, {"label": "D", "weekdays": [6, 7]})):
        ids[key[0]] = client.post("/api/welfare/enrolments", json=enrol_body(key, **extra)).json()["id"]
    client.post(f"/api/welfare/enrolments/{ids['c']}/pause", json={"reason": "随子女外出"})
    clock.now = at(MONDAY, 8, 30)
    made = checkin(store, clock, "a" * 64, at(MONDAY, 8, 20))

    def statuses(**params):
        day = client.get("/api/welfare/checks", params={"under": GRID1, **params}).json()
        return day, {i["enrolment_id"]: i for i in day["items"]}

    day, items = statuses()
    assert day["day"] == "2024-06-03" and day["tz"] == "Asia/Shanghai"
    assert {k: items[v]["status"] for k, v in ids.items()} == {"a": "checked_in", "b": "pending", "c": "paused",
                                                               "d": "not_due"}
    assert items[ids["a"]]["checkin_record_id"] == made and not items[ids["a"]]["judged"]
    assert day["counts"] == {"checked_in": 1, "pending": 1, "paused": 1, "not_due": 1}

    clock.now = at(MONDAY, 10, 11)
    assert statuses()[1][ids["b"]]["status"] == "missed"  # before the watch has run: a forecast
    client.app.state.jobs.handle("welfare").run_once()
    day, items = statuses()
    b = items[ids["b"]]
    assert b["status"] == "missed" and b["judged"] and b["case_state"] == "dispatched"
    assert b["case_assignee"] == "p-patrol-01" and b["case_id"]
    assert items[ids["a"]]["judged"] and items[ids["a"]]["status"] == "checked_in"
    assert [i["enrolment_id"] for i in statuses(status="missed")[0]["items"]] == [ids["b"]]
    assert statuses(day="2024-06-01")[1][ids["b"]]["status"] == "not_due"  # before enrolment

    clock.now = at(MONDAY + timedelta(days=1), 10, 30)
    client.app.state.jobs.handle("welfare").run_once()
    history = client.get(f"/api/welfare/enrolments/{ids['b']}/checks").json()
    assert [(h["day"], h["status"]) for h in history] == [("2024-06-04", "missed"), ("2024-06-03", "missed")]
    assert len({h["case_id"] for h in history}) == 2
    older = client.get(f"/api/welfare/enrolments/{ids['b']}/checks", params={"before": "2024-06-04"}).json()
    assert [h["day"] for h in older] == ["2024-06-03"]
    assert client.get("/api/welfare/enrolments/nope/checks").status_code == 404
    assert "/api/welfare/checks" in client.get("/openapi.json").json()["paths"]
