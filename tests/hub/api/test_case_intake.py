"""The control room's own cases, urgent alarms and who a case can go to, over a real store (SQLite and PostgreSQL).

A call becomes a report of the virtual source ``control-room`` (photos through the batch writer too) and its case
opens in the same transaction - routed by its position, or in the grid the operator picked - with the operator's
person on the trail; the caller's contact is stored nowhere. An urgent one is red, raises the alarm and reaches the
city at once; the alarm shows until acknowledged. The assignee list is the field staff of the scope near the case,
nearest grid first, saying who has a phone the task reaches."""
from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa

from hub.cases.triage import CONTROL_ROOM
from hub.store.tables import case_events, cases, records
from tests.hub.api.triage_fixtures import *  # noqa: F403 - the fixtures: world, client, operators
from tests.hub.api.triage_fixtures import (
    CUIWEI_GRID,
    FUSHI,
    GRID,
    INSIDE_2,
    INSIDE_CUIWEI,
    STRADDLE_1_2,
    png,
    report,
)

CONTACT = "13812345678 王女士"


def create(client, headers, **body):
    return client.post("/api/cases", json={"source": "phone", "category_code": "E0101", "note": "楼道堆放杂物",
                                           **body}, headers=headers)


def stored_everywhere(store) -> str:
    """Every text the hub keeps about cases and reports, as one string (to look for what must not be there)."""
    with store.engine.connect() as conn:
        parts = [str(r._mapping) for table in (cases, case_events, records) for r in conn.execute(sa.select(table))]
    return "\n".join(parts)


def test_a_call_with_a_position_enters_as_a_report_and_names_who_took_it(client, store, world, operators):
    service = world
    lat, lon, _ = INSIDE_2
    me = client.get("/api/auth/me", headers=operators["p-disp-fs"]).json()["id"]
    answer = create(client, operators["p-disp-fs"], lat=lat, lon=lon, accuracy_m=10, address="前山路 88 号楼下",
                    reporter_contact=CONTACT)
    assert answer.status_code == 201, answer.text
    case = answer.json()
    assert (case["source"], case["grid_code"], case["community_code"], case["flagged_for_review"]) == (
        "phone", GRID[2], FUSHI, False)
    assert case["reference"].startswith("FS-") and case["lat"] == lat and "前山路 88 号楼下" in case["note"]
    assert [n["code"] for n in case["notices"]] == ["contact_not_stored"]
    trail = service.events(case["id"])
    assert [(e.transition, e.actor, e.actor_device, e.operator_id) for e in trail[:2]] == [
        ("report", "system", CONTROL_ROOM, None), ("note", "p-disp-fs", None, me)]
    assert "福石调度员" in trail[1].note and "来电" in trail[1].note
    [record], _ = store.list_records(device_id=CONTROL_ROOM)
    assert record.kind == "report" and record.id == case["source_record_id"] and record.seq == 1
    assert record.payload_dict()["position"] == {"lat": lat, "lon": lon, "accuracy_m": 10.0}
    assert CONTACT not in stored_everywhere(store) and "13812345678" not in stored_everywhere(store)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one() == 1  # intake added none
    assert store.get_device(CONTROL_ROOM) is None  # a virtual source, not a terminal
    # confidently placed, known category: auto-dispatched to the grid leader like a kiosk's report
    client.app.state.jobs.handle("dispatch").run_once()
    assert service.get(case["id"]).assignee == "p-lead-02"


def test_a_call_placed_by_its_grid_alone(client, store, world, operators):
    service = world
    first = create(client, operators["p-disp-fs"], grid_code=GRID[3], source="walk_in").json()
    second = create(client, operators["p-disp-fs"], grid_code=GRID[3], source="hotline", note="另一处杂物").json()
    assert first["id"] != second["id"]  # no position: never "the same place", never joined as duplicates
    assert (first["grid_code"], first["lat"], first["lon"], first["source"]) == (GRID[3], None, None, "walk_in")
    assert second["source"] == "hotline" and not first["flagged_for_review"]
    record = store.get_record(first["source_record_id"])
    where = record.payload_dict()["position"]  # the protocol needs a position: the grid's own point stands in
    assert 22.244 < where["lat"] < 22.256 and 113.5258 < where["lon"] < 113.5298 and where["accuracy_m"] > 300
    assert service.events(first["id"])[0].lat is None
    # a position and a grid: the grid the operator picked decides
    lat, lon, _ = INSIDE_2
    picked = create(client, operators["p-disp-fs"], grid_code=GRID[1], lat=lat, lon=lon).json()
    assert (picked["grid_code"], picked["lat"], picked["route_reason"]) == (GRID[1], lat, "operator")
    # unsure of the place: it waits in triage, and the answer says so
    lat, lon, acc = STRADDLE_1_2
    unsure = create(client, operators["p-disp-fs"], lat=lat, lon=lon, accuracy_m=acc).json()
    assert unsure["flagged_for_review"] and [n["code"] for n in unsure["notices"]] == ["needs_triage"]
    assert unsure["id"] in [i["case"]["id"] for i in client.get("/api/triage",
                                                                  headers=operators["p-disp-fs"]).json()["items"]]


def test_photos_go_through_the_batch_writer_and_show_to_the_scope(client, store, world, operators):
    photo = png("call photo")
    sha = hashlib.sha256(photo).hexdigest()
    jpeg = b"\xff\xd8\xff\xe0" + b"jpeg body" * 9000  # ~80 KiB: two chunks
    encoded = [base64.b64encode(photo).decode(), "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()]
    case = create(client, operators["p-disp-fs"], grid_code=GRID[1], photos=encoded).json()
    stored = store.get_photo(sha)
    assert stored is not None and stored.device_id == CONTROL_ROOM and stored.mime == "image/png"
    assert store.photo_file(stored).read_bytes() == photo
    assert store.get_photo(hashlib.sha256(jpeg).hexdigest()).mime == "image/jpeg"
    assert world.events(case["id"])[0].evidence == [sha, hashlib.sha256(jpeg).hexdigest()]
    served = client.get(f"/api/photos/{sha}", headers=operators["p-disp-fs"])
    assert served.status_code == 200 and served.content == photo
    assert client.get(f"/api/photos/{sha}", headers=operators["p-sup-st"]).status_code == 200
    assert client.get(f"/api/photos/{sha}", headers=operators["p-disp-cw"]).status_code == 404  # not 翠微's case

    for photos, code in [(["not base64!"], "bad_photo"), ([base64.b64encode(b"GIF89a....").decode()], "bad_photo")]:
        refused = create(client, operators["p-disp-fs"], grid_code=GRID[1], photos=photos)
        assert refused.status_code == 422 and refused.json()["detail"]["code"] == code, refused.text
    assert create(client, operators["p-disp-fs"], grid_code=GRID[1], photos=[encoded[0]] * 10).status_code == 422


def test_what_a_call_may_not_do(client, store, world, operators):
    lat, lon, acc = INSIDE_CUIWEI
    ours = operators["p-disp-fs"]
    for body, code in [({"lat": lat, "lon": lon}, "place_out_of_scope"),  # 翠微's ground
                       ({"lat": 22.1, "lon": 113.3}, "place_out_of_scope"),  # nobody's: only the top places it
                       ({"grid_code": CUIWEI_GRID}, "grid_out_of_scope"),
                       ({"grid_code": FUSHI}, "grid_out_of_scope"),
                       ({}, "place_required"),
                       ({"grid_code": GRID[1], "category_code": "Z9999"}, "unknown_category"),
                       ({"grid_code": GRID[1], "note": "x" * 990, "address": "y" * 20}, "note_too_long")]:
        answer = create(client, ours, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"]["code"] == code, (body, answer.json())
    for body in ({"lat": lat}, {"grid_code": GRID[1], "source": "device"}, {"grid_code": GRID[1], "note": "  "},
                 {"grid_code": GRID[1], "severity": "panic"}, {"grid_code": GRID[1], "surprise": 1}):
        assert create(client, ours, **body).status_code == 422, body
    assert create(client, operators["viewer"], grid_code=GRID[1]).status_code == 403
    assert create(client, operators["unlinked"], grid_code=GRID[1]).status_code == 403
    assert store.list_records(device_id=CONTROL_ROOM)[0] == []  # nothing refused was stored
    # the city (top of the hierarchy) may take a call anywhere, even outside every grid: it waits in triage
    far = create(client, operators["p-disp-city"], lat=22.1, lon=113.3).json()
    assert far["grid_code"] is None and far["route_reason"] == "unassigned"


def test_an_urgent_call_raises_the_alarm_until_acknowledged(client, store, world, operators, clock):
    service = world
    ours = operators["p-disp-fs"]
    urgent = create(client, ours, grid_code=GRID[2], category_code="E0504", severity="urgent",
                    note="消防通道被车辆堵死").json()
    assert urgent["level"] == "red" and urgent["severity"] == "urgent" and urgent["alarm_at"] is not None
    assert urgent["escalation"]["level"] == "city" and "alarm_raised" in [n["code"] for n in urgent["notices"]]
    quiet = report(store, service, INSIDE_2, category="E0501")
    clock.advance(60)
    loud = report(store, service, INSIDE_CUIWEI, device="kiosk-cw-01", severity="urgent")
    alarms = client.get("/api/alarms", headers=operators["p-sup-st"]).json()
    assert [a["case_id"] for a in alarms] == [loud, urgent["id"]]  # the newest first
    mine = client.get("/api/alarms", headers=ours).json()
    assert [a["case_id"] for a in mine] == [urgent["id"]] and quiet not in [a["case_id"] for a in mine]
    alarm = mine[0]
    assert (alarm["reference"], alarm["level"], alarm["grid_code"], alarm["category_code"]) == (
        urgent["reference"], "red", GRID[2], "E0504")
    assert alarm["category_zh"] == "消防通道堵塞" and alarm["grid_name"].startswith("福石二网格")
    assert alarm["alarm_at"] and alarm["state"] in ("reported", "filed", "dispatched")

    assert client.post(f"/api/cases/{urgent['id']}/alarm/ack", headers=operators["p-disp-cw"]).status_code == 404
    assert client.post(f"/api/cases/{urgent['id']}/alarm/ack", headers=operators["viewer"]).status_code == 403
    acked = client.post(f"/api/cases/{urgent['id']}/alarm/ack", headers=ours)
    assert acked.status_code == 200 and acked.json()["alarm_acked_at"] is not None and acked.json()["notices"] == []
    assert client.get("/api/alarms", headers=ours).json() == []
    again = client.post(f"/api/cases/{urgent['id']}/alarm/ack", headers=operators["p-sup-st"]).json()
    assert [n["code"] for n in again["notices"]] == ["already_acknowledged"]
    assert service.get(urgent["id"]).alarm_acked_by == "p-disp-fs"
    notes = [e for e in service.events(urgent["id"]) if e.reason == "alarm_ack"]
    assert len(notes) == 1 and notes[0].actor == "p-disp-fs" and notes[0].operator_id is not None
    refused = client.post(f"/api/cases/{quiet}/alarm/ack", headers=ours)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "no_alarm"
    assert [a["case_id"] for a in client.get("/api/alarms", headers=operators["p-sup-st"]).json()] == [loud]


def test_who_a_case_can_go_to(client, store, world, operators):
    case_id = report(store, world, INSIDE_2)
    answer = client.get(f"/api/cases/{case_id}/assignees", headers=operators["p-disp-fs"])
    assert answer.status_code == 200, answer.text
    groups = answer.json()["groups"]
    assert [(g["unit_code"], g["relation"]) for g in groups] == [
        (GRID[2], "case_grid"), (GRID[1], "community_grid"), (GRID[3], "community_grid"),
        (GRID[4], "community_grid"), (GRID[5], "community_grid"), (FUSHI, "community")]
    own = groups[0]
    assert own["unit_name"].startswith("福石二网格") and own["level"] == "grid"
    people = own["people"]
    assert (people[0]["id"], people[0]["role"], people[0]["can_receive"]) == ("p-lead-02", "grid_leader", True)
    assert {"id": "p-nophone-02", "name": "二网格志愿者（无手机）", "role": "patrol_volunteer", "can_receive": False,
            "is_assignee": False} in people  # no phone: listed, and said so
    assert [p["can_receive"] for p in people] == sorted((p["can_receive"] for p in people), reverse=True)
    assert {p["id"] for p in people} >= {"p-lead-02", "p-worker-02", "p-patrol-02"}
    assert {"id": "p-hand-fs", "name": "社区处置员", "role": "handler", "can_receive": True,
            "is_assignee": False} in groups[-1]["people"]  # the community's own field staff
    everyone = {p["id"] for g in groups for p in g["people"]}
    assert "p-disp-fs" not in everyone and "p-worker-cw" not in everyone  # not field staff; not in scope

    street = client.get(f"/api/cases/{case_id}/assignees", headers=operators["p-sup-st"]).json()["groups"]
    assert (street[-1]["unit_code"], street[-1]["relation"]) == (CUIWEI_GRID, "street")
    assert street[-1]["people"][0]["id"] == "p-worker-cw"
    assert client.get(f"/api/cases/{case_id}/assignees", headers=operators["p-disp-cw"]).status_code == 404
    # the case's handler is marked, so a reassignment picks someone else
    client.app.state.jobs.handle("dispatch").run_once()
    marked = client.get(f"/api/cases/{case_id}/assignees", headers=operators["p-disp-fs"]).json()["groups"][0]
    assert [p["id"] for p in marked["people"] if p["is_assignee"]] == ["p-lead-02"]


def test_a_call_about_a_neighbours_open_case_joins_it_and_shows_only_its_reference(client, store, world, operators):
    service = world
    theirs = report(store, service, INSIDE_CUIWEI, device="kiosk-cw-01")  # 翠微's open case
    lat, lon, _ = INSIDE_CUIWEI
    joined = create(client, operators["p-disp-fs"], grid_code=GRID[1], lat=lat + 0.0001, lon=lon)  # ~11 m away
    assert joined.status_code == 409, joined.text
    detail = joined.json()["detail"]
    reference = service.get(theirs).reference
    assert detail["code"] == "joined_outside_scope" and reference in detail["zh"] and reference in detail["en"]
    assert "note" not in joined.text and service.get(theirs).report_count == 2  # taken in, nothing else shown
