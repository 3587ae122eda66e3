"""Case API over a real store (SQLite and PostgreSQL): the closed loop walked over HTTP by signed-in operators,
each acting as their linked person (one with none gets 403), 409 on a stale version, 422 with the rule's code and
zh/en message, filters
(unit subtree, state, level, overdue, flagged), overdue-first ordering and paging."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.cases import CaseService
from hub.mqtt.ingest import ingest_batch
from hub.org.repo import Person, Unit, save_people, save_units
from hub.org.routing import RouteResult
from hub.org.taxonomy import Category, install_taxonomy
from hub.settings import HubSettings
from hub.store.rows import RecordRow
from hub.store.tables import case_events
from protocol import uuid7
from tests.hub.conftest import Device, raw

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2024, 6, 3, 9, 0, tzinfo=SH)
# A photo the reporting kiosk uploaded (the org fixture stores it): API evidence must be a stored photo one can see.
PHOTO_BYTES = b"\x89PNG\r\n\x1a\n" + b"case-api-evidence" * 40
PHOTO = hashlib.sha256(PHOTO_BYTES).hexdigest()
COMM, GRID_1, GRID_2 = "440402004005", "440402004005001", "440402004005002"
OTHER_COMM, OTHER_GRID = "440402004006", "440402004006001"


@pytest.fixture
def org(store, clock):
    clock.now = MON_9.astimezone(UTC)
    hierarchy = [
        Unit("440400", "city", "珠海市"),
        Unit("440402", "district", "香洲区", "440400"),
        Unit("440402004", "street", "前山街道", "440402"),
        Unit(COMM, "community", "福石社区", "440402004"),
        Unit(OTHER_COMM, "community", "翠微社区", "440402004"),
        Unit(GRID_1, "grid", "一网格", COMM),
        Unit(GRID_2, "grid", "二网格", COMM),
        Unit(OTHER_GRID, "grid", "翠微一网格", OTHER_COMM),
    ]
    staff = [
        Person("d1", "调度员", "dispatcher", COMM),
        Person("s1", "督查员", "supervisor", COMM),
        Person("h1", "处置员甲", "handler", COMM),
        Person("h2", "处置员乙", "handler", COMM),
        Person("v1", "志愿者", "patrol_volunteer", GRID_1),
    ]
    with store.write() as conn:
        save_units(conn, hierarchy, clock())
        save_people(conn, staff)
    install_taxonomy(
        store,
        [
            Category("E0101", "event", "01", "01", "道路破损", "road damage", "", "", 4, "working_hours"),
            Category(
                "E0201",
                "event",
                "02",
                "01",
                "消防通道堵塞",
                "blocked fire lane",
                "",
                "",
                2,
                "working_hours",
                urgent=True,
            ),
        ],
    )
    ingest_batch([raw(c) for c in Device("kiosk-api").photo_chunks(PHOTO_BYTES)], store)
    return CaseService(store, clock=clock)


STREET = "440402004"
TOKENS: dict[str, str] = {}  # person id → bearer token of an operator linked to that person


@pytest.fixture
def client(store, tmp_path, clock, org, sign_in):
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        # Street-scoped accounts, so the filter tests see both communities; the default identity is d1's.
        TOKENS.clear()
        for person in ("h1", "h2", "v1", "s1", "d1"):
            role = "supervisor" if person == "s1" else "dispatcher"
            TOKENS[person] = sign_in(
                test_client, store, role=role, scope=STREET, person=person, username=f"op-{person}"
            )
        TOKENS["nobody"] = sign_in(
            test_client, store, role="dispatcher", scope=STREET, username="op-unlinked", set_default=False
        )
        yield test_client


def as_(person: str) -> dict:
    return {"Authorization": f"Bearer {TOKENS[person]}"}


_lat = [22.20]


def open_case(svc: CaseService, clock, code="E0101", grid=GRID_1, community=COMM, flagged=False) -> str:
    _lat[0] += 0.002  # far enough apart never to be grouped as duplicates
    body = json.dumps(
        {
            "category": code,
            "note": "路面坑洞",
            "position": {"lat": _lat[0], "lon": 113.52, "accuracy_m": 5.0},
            "photos": [{"sha256": PHOTO}],
        }
    )
    record = RecordRow(
        uuid7(), "kiosk-api", 1, "report", body, hashlib.sha256(body.encode()).hexdigest(), clock(), clock()
    )
    route = RouteResult(grid, community, 1.0, flagged, "inside" if grid else "community_fallback")
    return svc.open_case_from_report(record, route).case.id


def step(client, case_id, transition, actor, **extra):
    """``actor``'s operator applies a transition (the actor is whoever is signed in)."""
    return client.post(
        f"/api/cases/{case_id}/transitions", json={"transition": transition, **extra}, headers=as_(actor)
    )


RESOLVE = {"note": "已修补", "evidence": [PHOTO], "position": {"lat": 22.25, "lon": 113.52, "accuracy_m": 4}}


def test_closed_loop_over_http(client, org, clock):
    case_id = open_case(org, clock)
    listed = client.get("/api/cases").json()
    assert listed["total"] == 1 and listed["items"][0]["state"] == "reported"
    allowed = client.get(f"/api/cases/{case_id}/allowed", headers=as_("d1")).json()
    options = {t["transition"]: t for t in allowed["transitions"]}
    assert {"file", "not_file", "suspend"} <= set(options) and not {"dispatch", "accept", "close"} & set(options)
    assert allowed["actor"]["role"] == "dispatcher" and options["not_file"]["needs"] == ["reason"]

    filed = step(client, case_id, "file", "d1", expected_version=1)
    assert filed.status_code == 200, filed.text
    case = filed.json()
    # 4 working hours from Mon 09:00 Beijing: 09:00-12:00 + 14:00-15:00.
    assert case["deadline"].startswith("2024-06-03T07:00:00") and case["version"] == 2
    assert case["remaining_s"] == 6 * 3600 and case["remaining_working_s"] == 4 * 3600 and not case["overdue"]

    dispatched = step(client, case_id, "dispatch", "d1", assignee="h1").json()
    assert dispatched["assignee"] == {"id": "h1", "name": "处置员甲", "role": "handler"}

    def options(actor):
        return {
            t["transition"]
            for t in client.get(f"/api/cases/{case_id}/allowed", headers=as_(actor)).json()["transitions"]
        }

    assert {"accept", "return"} <= options("h1") and "resolve" not in options("h1")
    assert not {"accept", "return", "arrive"} & options("h2")  # not the assignee
    assert step(client, case_id, "accept", "h1").json()["state"] == "accepted"
    assert step(client, case_id, "arrive", "h1").json()["state"] == "arrived"

    refused = step(client, case_id, "resolve", "h1", note="已修补")
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail["code"] == "evidence_required" and "照片" in detail["zh"] and "evidence photo" in detail["en"]
    clock.advance(3600)
    resolved = step(client, case_id, "resolve", "h1", **RESOLVE).json()
    assert resolved["state"] == "resolved" and resolved["resolver"] == "h1"
    assert step(client, case_id, "verify", "h1").json()["detail"]["code"] == "role"
    assert step(client, case_id, "verify", "s1").json()["state"] == "verified"
    closed = step(client, case_id, "close", "s1").json()
    assert closed["state"] == "closed" and closed["state_zh"] == "已结案" and closed["remaining_s"] is None

    trail = client.get(f"/api/cases/{case_id}/events").json()
    assert [e["transition"] for e in trail] == [
        "report",
        "file",
        "dispatch",
        "accept",
        "arrive",
        "resolve",
        "verify",
        "close",
    ]
    assert [e["actor"] for e in trail[1:]] == ["d1", "d1", "h1", "h1", "h1", "s1", "s1"]
    assert trail[5]["evidence"] == [PHOTO] and trail[5]["lat"] == 22.25 and trail[5]["origin"] == "api"
    assert client.get(f"/api/cases/{case_id}").json()["version"] == 8


def test_conflicts_and_refusals(client, org, clock):
    case_id = open_case(org, clock)
    assert step(client, case_id, "file", "d1", expected_version=1).status_code == 200
    stale = step(client, case_id, "dispatch", "d1", assignee="h1", expected_version=1)
    assert stale.status_code == 409 and stale.json()["detail"]["code"] == "version_conflict"

    cases = [
        ("close", "d1", {}, "wrong_state"),
        ("fly", "d1", {}, "unknown_transition"),
        ("dispatch", "v1", {"assignee": "h1"}, "role"),
        ("dispatch", "d1", {}, "assignee_required"),
        ("dispatch", "d1", {"assignee": "s1"}, "bad_assignee"),
        ("suspend", "d1", {}, "reason_required"),
        ("dispatch", "nobody", {"assignee": "h1"}, "no_person"),
    ]
    for transition, actor, extra, code in cases:
        response = step(client, case_id, transition, actor, **extra)
        # an account no admin has linked to a person may not act: 403 saying so
        assert response.status_code == (403 if code == "no_person" else 422), (transition, response.text)
        detail = response.json()["detail"]
        assert detail["code"] == code and detail["zh"] and detail["en"], detail
    assert client.get(f"/api/cases/{case_id}").json()["version"] == 2  # nothing refused was written
    assert len(client.get(f"/api/cases/{case_id}/events").json()) == 2

    assert step(client, "0190a000-0000-7000-8000-000000000000", "file", "d1").status_code == 404
    assert client.get("/api/cases/0190a000-0000-7000-8000-000000000000").status_code == 404
    no_person = client.get(f"/api/cases/{case_id}/allowed", headers=as_("nobody"))
    assert no_person.status_code == 403 and "link" in no_person.json()["detail"]["en"]
    assert (
        client.post(f"/api/cases/{case_id}/transitions", json={"transition": "file", "surprise": 1}).status_code == 422
    )
    assert (
        client.post(
            f"/api/cases/{case_id}/transitions",  # the actor is the signed-in operator, not a field
            json={"transition": "file", "actor": "d1"},
        ).status_code
        == 422
    )


def test_filters_ordering_and_paging(client, org, clock, store):
    ids = {}
    clock.now = (MON_9 - timedelta(minutes=4)).astimezone(UTC)  # one case a minute, 08:56 - 08:59
    for key, kwargs in [
        ("fresh", {}),
        ("urgent", {"code": "E0201", "grid": GRID_2}),  # urgent: red from the start
        ("fallback", {"grid": None, "flagged": True}),  # 属地兜底 to the community
        ("other", {"grid": OTHER_GRID, "community": OTHER_COMM}),
    ]:
        ids[key] = open_case(org, clock, **kwargs)
        clock.advance(60)
    for key in ("urgent", "other"):  # filed Mon 09:00
        org.transition(ids[key], "file", "d1")
    clock.advance(3 * 3600)  # Mon 12:00: the urgent one (2 working hours, deadline 11:00) is overdue
    ids["late_filed"] = open_case(org, clock)
    org.transition(ids["late_filed"], "file", "d1")

    def listed(**params):
        body = client.get("/api/cases", params=params).json()
        return [item["id"] for item in body["items"]], body

    got, body = listed()
    assert body["total"] == 5 and got[0] == ids["late_filed"]  # newest first by default
    assert set(listed(unit=COMM)[0]) == {ids["fresh"], ids["urgent"], ids["fallback"], ids["late_filed"]}
    assert set(listed(unit=GRID_1)[0]) == {ids["fresh"], ids["late_filed"]}
    assert set(listed(unit="440402004")[0]) == set(ids.values())  # the street: everything
    assert listed(unit=OTHER_COMM)[0] == [ids["other"]]
    assert set(listed(state=["reported"])[0]) == {ids["fresh"], ids["fallback"]}
    assert len(listed(state=["reported", "filed"])[0]) == 5
    assert listed(level="red")[0] == [ids["urgent"]]
    assert listed(category="E0201")[0] == [ids["urgent"]]
    assert listed(flagged=True)[0] == [ids["fallback"]]
    overdue, body = listed(overdue=True)
    assert overdue == [ids["urgent"]] and body["items"][0]["overdue"]
    assert body["items"][0]["remaining_s"] == -3600 and body["items"][0]["remaining_working_s"] == -3600
    assert ids["urgent"] not in listed(overdue=False)[0]

    ordered = listed(order="overdue_first")[0]
    # overdue, then by deadline (other: Mon 15:00, late_filed: Tue 09:00), then undated ones newest first
    assert ordered[:3] == [ids["urgent"], ids["other"], ids["late_filed"]]
    assert ordered[3:] == [ids["fallback"], ids["fresh"]]
    page, body = listed(order="overdue_first", offset=2, limit=2)
    assert page == ordered[2:4] and body["total"] == 5 and body["offset"] == 2
    assert client.get("/api/cases", params={"state": "flying"}).status_code == 422
    assert client.get("/api/cases", params={"limit": 0}).status_code == 422


def test_escalation_shows_when_recorded(client, org, clock, store):
    case_id = open_case(org, clock)
    assert client.get(f"/api/cases/{case_id}").json()["escalation"] is None
    with store.write() as conn:  # what the escalation sweep writes to the trail
        conn.execute(
            sa.insert(case_events),
            {
                "case_id": case_id,
                "seq": 2,
                "transition": "escalate",
                "outcome": "applied",
                "from_state": "reported",
                "to_state": "reported",
                "actor": "system",
                "at": clock(),
                "received_at": clock(),
                "reason": "超时未受理，升级至社区",
                "note": "",
                "origin": "system",
            },
        )
    escalation = client.get(f"/api/cases/{case_id}").json()["escalation"]
    assert escalation["events"][0]["reason"] == "超时未受理，升级至社区"
