"""Welfare API with helpers' observations (SQLite and PostgreSQL): the day view lists each resident's evidence and
what settled the day, a 异常 shows as abnormal with its case, and staff close a false alarm with a reason - only for
enrolments in their subtree, only when linked to a person."""
from __future__ import annotations

import itertools
from datetime import timedelta

from hub.mqtt.ingest import RawMessage, ingest_batch
from protocol import HelperObservation, encode, uplink_topic_for, uuid7
from tests.hub.api.test_welfare import GRID1, MONDAY, as_, at, checkin, client, enrol_body  # noqa: F401

_seq = itertools.count(1)


def observe(store, clock, key: str, made_at, verdict: str = "safe", via: str = "helper") -> str:
    msg = HelperObservation(id=uuid7(), device_id="phone-helper-09", seq=next(_seq), created_at=made_at,
                            resident_key=key, verdict=verdict, via=via, signs=["lights", "spoke"])
    ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), clock.now)], store)
    return msg.id


def test_evidence_abnormal_and_false_alarm(client, store, clock):
    a = client.post("/api/welfare/enrolments", json=enrol_body("a" * 64, deadline="21:00")).json()
    b = client.post("/api/welfare/enrolments", json=enrol_body("b" * 64, label="B")).json()
    assert a["deadline"] == "21:00" and b["deadline"] is None
    bad = client.post("/api/welfare/enrolments", json=enrol_body("c" * 64, deadline="09:00"))
    assert bad.status_code == 422  # a deadline before the window's end
    clock.now = at(MONDAY, 9)
    tap = checkin(store, clock, "a" * 64, at(MONDAY, 8, 40))
    look = observe(store, clock, "a" * 64, at(MONDAY, 7, 10), via="patrol")
    alarm = observe(store, clock, "b" * 64, at(MONDAY, 8, 50), verdict="abnormal")
    client.app.state.jobs.handle("welfare").run_once()

    items = {i["enrolment_id"]: i for i in client.get("/api/welfare/checks", params={"under": GRID1}).json()["items"]}
    ia, ib = items[a["id"]], items[b["id"]]
    assert ia["status"] == "checked_in" and ia["settled_by"] == "patrol" and ia["checkin_record_id"] == look
    assert [(e["kind"], e["record_id"]) for e in ia["evidence"]] == [("patrol", look), ("checkin", tap)]
    assert ia["evidence"][0]["signs"] == ["lights", "spoke"]
    assert ib["status"] == "abnormal" and ib["case_state"] == "dispatched" and ib["case_assignee"] == "p-worker-01"
    assert ib["evidence"][0]["record_id"] == alarm and ib["evidence"][0]["verdict"] == "abnormal"

    url = f"/api/welfare/enrolments/{b['id']}/false-alarm"
    body = {"day": "2024-06-03", "reason": "在女儿家小住", "away_until": "2024-06-05"}
    assert client.post(url, json=body, headers=as_("ghost")).status_code == 403  # no linked person
    assert client.post("/api/welfare/enrolments/nope/false-alarm", json=body).status_code == 404
    assert client.post(url, json=body | {"reason": ""}).status_code == 422
    closed = client.post(url, json=body)
    assert closed.status_code == 201, closed.text
    assert closed.json()["case_ids"] == [ib["case_id"]] and closed.json()["recorded_by"] == "p-worker-01"
    assert client.get(f"/api/cases/{ib['case_id']}").json()["state"] == "resolved"
    ib = {i["enrolment_id"]: i for i in client.get("/api/welfare/checks").json()["items"]}[b["id"]]
    assert ib["status"] == "paused" and ib["false_alarm"]["reason"] == "在女儿家小住"
    assert client.get(f"/api/welfare/enrolments/{b['id']}").json()["paused_until"] == "2024-06-05"

    clock.now = at(MONDAY + timedelta(days=1), 9)
    assert client.get("/api/welfare/checks", params={"status": "abnormal"}).json()["items"] == []
