"""Issue 14, holes 1, 2, 3 and 9 (API side), over a real store (SQLite and PostgreSQL), with accounts scoped to one
grid of 福石社区 as the red team had them:

1. citing another grid's photo as evidence neither passes (422) nor makes it readable, and a citation already in
   the trail widens nothing unless the uploading device made it;
2. a dispatcher reassigns only to people inside its scope, and is told when the assignee has no phone;
3. the verifier ≠ resolver rule holds for the account: no admin re-links itself, a re-link is audited, the trail
   records the account behind each API step, and the account that resolved cannot verify whoever it acts as;
9. evidence is a hex SHA-256 or nothing (refused by the request schema, before anything is looked up).
"""
from __future__ import annotations

from hub.cases import CaseService
from tests.security.scope_fixtures import *  # noqa: F403 - the fixtures: scope_client, scope_store, scope_world ...
from tests.security.scope_fixtures import CUIWEI_GRID, FUSHI, GRID1, account, operator_id

RESOLVE = {"note": "已修补", "position": {"lat": 22.25, "lon": 113.52, "accuracy_m": 4}}


def post(client, case_id: str, headers: dict, **body):
    return client.post(f"/api/cases/{case_id}/transitions", json=body, headers=headers)


def test_citing_a_photo_as_evidence_never_widens_who_sees_it(scope_client, scope_store, scope_world, scope_clock):
    client, w = scope_client, scope_world
    grid1 = account(client, scope_store, "g1-disp", role="dispatcher", scope=GRID1, person="p-disp-g1")
    assert client.get(f"/api/photos/{w.grid1_photo}", headers=grid1).status_code == 200  # its own grid's kiosk
    assert client.get(f"/api/photos/{w.grid2_photo}", headers=grid1).status_code == 404
    for _ in range(10):  # the red team got it 10 times out of 10
        cited = post(client, w.case, grid1, transition="note", note="补充照片", evidence=[w.grid2_photo])
        assert cited.status_code == 422, cited.text
        assert cited.json()["detail"]["code"] == "unknown_evidence" and cited.json()["detail"]["zh"]
        assert client.get(f"/api/photos/{w.grid2_photo}", headers=grid1).status_code == 404
    assert post(client, w.case, grid1, transition="note", note="无此照片", evidence=["0" * 64]).status_code == 422

    # A citation that is in the trail anyway (written before the check, or by anyone but the uploading device)
    # shows the photo to nobody new.
    CaseService(scope_store, clock=scope_clock).transition(
        w.case, "note", "p-disp-g1", note="旧的引用", evidence=[w.grid2_photo, w.cuiwei_photo])
    for sha in (w.grid2_photo, w.cuiwei_photo):
        assert client.get(f"/api/photos/{sha}", headers=grid1).status_code == 404, sha

    # What the operator can already see may be cited, and stays visible.
    own = post(client, w.case, grid1, transition="note", note="现场照片", evidence=[w.grid1_photo])
    assert own.status_code == 200, own.text
    assert client.get(f"/api/photos/{w.grid1_photo}", headers=grid1).status_code == 200
    trail = client.get(f"/api/cases/{w.case}/events", headers=grid1).json()
    assert [e["evidence"] for e in trail if e["note"] == "现场照片"] == [[w.grid1_photo]]


def test_reassign_only_to_people_in_scope_and_say_when_no_phone_reaches_them(scope_client, scope_store, scope_world,
                                                                              scope_clock):
    client, w = scope_client, scope_world
    service = CaseService(scope_store, clock=scope_clock)
    service.transition(w.case, "file", "p-disp-g1")
    service.transition(w.case, "dispatch", "p-disp-g1", assignee="p-lead-01")
    grid1 = account(client, scope_store, "g1-disp", role="dispatcher", scope=GRID1, person="p-disp-g1")
    # a leader and a patrol volunteer of other grids, another community's leader: none of them is grid 1's to task
    for outsider in ("p-lead-02", "p-patrol-03", "cw-lead"):
        refused = post(client, w.case, grid1, transition="reassign", assignee=outsider, reason="试试")
        assert refused.status_code == 422, (outsider, refused.text)
        detail = refused.json()["detail"]
        assert detail["code"] == "assignee_out_of_scope" and detail["zh"] and outsider in detail["en"]
    case = client.get(f"/api/cases/{w.case}", headers=grid1).json()
    assert case["assignee"]["id"] == "p-lead-01" and case["version"] == 3

    # inside the scope: applied; the patrol volunteer has a tablet but no phone, and the operator is told so
    moved = post(client, w.case, grid1, transition="reassign", assignee="p-patrol-01", reason="网格长休假")
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["assignee"]["id"] == "p-patrol-01"
    assert [n["code"] for n in body["notices"]] == ["assignee_unreachable"]
    assert "手机" in body["notices"][0]["zh"] and "phone" in body["notices"][0]["en"]
    back = post(client, w.case, grid1, transition="reassign", assignee="p-lead-01", reason="已返岗")
    assert back.status_code == 200 and back.json()["notices"] == []  # the grid leader's phone gets the task
    assert client.get(f"/api/cases/{w.case}", headers=grid1).json()["notices"] == []  # only after a step


def test_one_account_cannot_resolve_and_verify_by_relinking_itself(scope_client, scope_store, scope_world,
                                                                   scope_clock):
    client, w = scope_client, scope_world
    admin_a = account(client, scope_store, "admin-a", role="admin", scope=FUSHI, person="p-handler-fs")
    admin_b = account(client, scope_store, "admin-b", role="admin", scope=FUSHI, person="p-sup2-fs")
    a_id = operator_id(client, admin_a)

    refused = client.put(f"/api/operators/{a_id}/person", json={"person_id": "p-sup-fs"}, headers=admin_a)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"]["code"] == "self_link" and refused.json()["detail"]["zh"]
    assert client.get("/api/auth/me", headers=admin_a).json()["person_id"] == "p-handler-fs"

    service = CaseService(scope_store, clock=scope_clock)
    service.transition(w.case, "file", "p-sup-fs")
    service.transition(w.case, "dispatch", "p-sup-fs", assignee="p-handler-fs")
    for step in ("accept", "arrive"):
        assert post(client, w.case, admin_a, transition=step).status_code == 200
    resolved = post(client, w.case, admin_a, transition="resolve", evidence=[w.grid1_photo], **RESOLVE)
    assert resolved.status_code == 200, resolved.text

    # another admin re-links A's account to a supervisor (audited); A still may not verify its own work
    relinked = client.put(f"/api/operators/{a_id}/person", json={"person_id": "p-sup-fs"}, headers=admin_b)
    assert relinked.status_code == 200 and relinked.json()["person_id"] == "p-sup-fs"
    allowed = client.get(f"/api/cases/{w.case}/allowed", headers=admin_a).json()
    assert allowed["actor"]["id"] == "p-sup-fs" and "verify" not in {t["transition"] for t in allowed["transitions"]}
    verify = post(client, w.case, admin_a, transition="verify")
    assert verify.status_code == 422, verify.text
    assert verify.json()["detail"]["code"] == "verifier_is_resolver" and verify.json()["detail"]["zh"]
    assert client.get(f"/api/cases/{w.case}", headers=admin_a).json()["state"] == "resolved"

    # a second account verifies and closes (verify then close by one account is the command centre's normal step)
    assert post(client, w.case, admin_b, transition="verify").json()["state"] == "verified"
    assert post(client, w.case, admin_b, transition="close").json()["state"] == "closed"
    b_id = operator_id(client, admin_b)
    trail = [(e.transition, e.actor, e.operator_id) for e in service.events(w.case)]
    assert trail == [("report", "system", None), ("file", "p-sup-fs", None), ("dispatch", "p-sup-fs", None),
                     ("accept", "p-handler-fs", a_id), ("arrive", "p-handler-fs", a_id),
                     ("resolve", "p-handler-fs", a_id), ("verify", "p-sup2-fs", b_id), ("close", "p-sup2-fs", b_id)]

    log = client.get("/api/access-log", params={"route": "/api/operators/{operator_id}/person"}, headers=admin_b).json()
    changes = {(r["operator_id"], r["status"], r["resource_ids"].get("person_before"),
                r["resource_ids"].get("person_after")) for r in log}
    assert (b_id, 200, "p-handler-fs", "p-sup-fs") in changes  # who re-linked whom, from whom to whom
    assert any(r["operator_id"] == a_id and r["status"] == 403 for r in log)  # the refused self-link too


def test_evidence_is_a_hex_sha256_refused_by_the_schema(scope_client, scope_store, scope_world):
    client, w = scope_client, scope_world
    grid1 = account(client, scope_store, "g1-disp", role="dispatcher", scope=GRID1, person="p-disp-g1")
    for bad in ("../welfare/enrolments", "../../api/access-log?limit=1000", "%2e%2e%2fwelfare%2fenrolments",
                w.grid1_photo.upper(), w.grid1_photo + "/..", w.grid1_photo[:63], "", 7):
        refused = post(client, w.case, grid1, transition="note", note="证据", evidence=[w.grid1_photo, bad])
        assert refused.status_code == 422, (bad, refused.text)
        errors = refused.json()["detail"]
        assert isinstance(errors, list) and errors[0]["loc"][:3] == ["body", "evidence", 1], (bad, errors)
    trail = client.get(f"/api/cases/{w.case}/events", headers=grid1).json()
    assert all(e["origin"] != "api" for e in trail)  # nothing got in


def test_body_ids_of_another_community_are_refused_in_welfare_and_device_bodies(scope_client, scope_store,
                                                                                scope_world):
    """While in these routes: the people and device ids a body names are checked against the scope too."""
    client = scope_client
    fushi = account(client, scope_store, "fs-lead", role="dispatcher", scope=FUSHI, person="p-worker-01")
    enrol = {"resident_key": "c" * 64, "grid_code": GRID1, "window_start": "07:00", "window_end": "10:00",
             "primary_helper": "p-patrol-01"}
    for field, value in (("primary_helper", "cw-lead"), ("second_helper", "cw-lead"), ("informed", ["cw-lead"])):
        refused = client.post("/api/welfare/enrolments", json=enrol | {field: value}, headers=fushi)
        assert refused.status_code == 422, (field, refused.text)
        assert "cw-lead" in refused.json()["detail"]["en"]
    created = client.post("/api/welfare/enrolments", json=enrol | {"informed": ["p-lead-01"]}, headers=fushi)
    assert created.status_code == 201, created.text
    moved = client.patch(f"/api/welfare/enrolments/{created.json()['id']}", json={"primary_helper": "cw-lead"},
                         headers=fushi)
    assert moved.status_code == 422 and client.get(f"/api/welfare/enrolments/{created.json()['id']}",
                                                   headers=fushi).json()["primary_helper"] == "p-patrol-01"
    # the same resident from 翠微: refused without naming 福石's enrolment
    cw_lead = account(client, scope_store, "cw-lead-op", role="dispatcher", scope=CUIWEI_GRID, person="cw-lead")
    dup = client.post("/api/welfare/enrolments", json=enrol | {"grid_code": CUIWEI_GRID, "primary_helper": "cw-lead"},
                      headers=cw_lead)
    assert dup.status_code == 409 and created.json()["id"] not in dup.text, dup.text

    admin = account(client, scope_store, "fs-admin", role="admin", scope=FUSHI)
    device = {"device_id": "phone-new-01", "kind": "phone", "unit_code": GRID1, "owner_person_id": "cw-lead"}
    refused = client.post("/api/devices", json=device, headers=admin)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "unknown_person"
    # a device bound in 翠微 cannot be pulled into 福石 by registering its id again
    taken = client.post("/api/devices", json={"device_id": "kiosk-cw-01", "kind": "kiosk", "unit_code": GRID1},
                        headers=admin)
    assert taken.status_code == 409, taken.text
    cuiwei = account(client, scope_store, "cw-admin", role="admin", scope=CUIWEI_GRID)
    assert [d["id"] for d in client.get("/api/devices", headers=cuiwei).json()] == ["kiosk-cw-01"]
    assert client.post("/api/devices", json=device | {"owner_person_id": "p-lead-01"}, headers=admin).status_code == 201
