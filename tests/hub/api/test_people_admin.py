"""People and roles for admins (``/api/people``), over a real store (SQLite and PostgreSQL): a community's admin
lists, adds, edits and takes off duty the people of the community only - the person, the unit and the phone named
in a request body are each checked against the scope - the new roles (楼长, 调解员...) and building units are
accepted, someone off duty is offered no new task, and every change is in the access log."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.auth.access_log import AccessLog
from hub.cases import CaseService
from hub.org import repo as org_repo
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.settings import HubSettings

FUSHI, CUIWEI, STREET = "440402004005", "440402004006", "440402004"
GRID1 = FUSHI + "001"
BUILDING = GRID1 + "007"


@pytest.fixture
def client(store, tmp_path, clock):
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_units(conn, [Unit(CUIWEI, "community", "翠微社区", STREET),
                          Unit(CUIWEI + "001", "grid", "翠微一网格", CUIWEI),
                          Unit(BUILDING, "building", "福石花园7栋", GRID1)], clock())
        save_people(conn, [Person("p-cw-01", "翠微网格长", "grid_leader", CUIWEI + "001")])
        save_device_bindings(conn, [DeviceBinding("phone-cw-01", "phone", CUIWEI + "001", "p-cw-01")])
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def leaders(store) -> list[str]:
    with store.read() as conn:
        return org_repo.people_at(conn, GRID1, ["grid_leader"])


def offered(client, case_id: str) -> set[str]:
    groups = client.get(f"/api/cases/{case_id}/assignees").json()["groups"]
    return {p["id"] for g in groups for p in g["people"]}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_community_admin_manages_the_people_of_the_community_only(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    other = sign_in(client, store, role="admin", scope=CUIWEI, username="cw-admin", set_default=False)

    mine = client.get("/api/people").json()
    assert mine and {p["unit_code"][:12] for p in mine} == {FUSHI}
    assert "p-cw-01" not in {p["id"] for p in mine}
    lead = next(p for p in mine if p["id"] == "p-lead-01")
    assert lead["active"] and "phone-fs-lead-01" in lead["devices"] and lead["unit_name"]
    theirs = client.get("/api/people", headers=bearer(other)).json()
    assert [p["id"] for p in theirs] == ["p-cw-01"]
    assert client.get(f"/api/people?unit={FUSHI}", headers=bearer(other)).json() == []  # another subtree: empty
    assert client.get("/api/people/p-lead-01", headers=bearer(other)).status_code == 404

    # add: a building head in a building of the community, with a phone bound in the community
    added = client.post("/api/people", json={"name": "楼长李", "role": "building_head", "unit_code": BUILDING,
                                             "phone_device_id": "phone-fs-lead-01"})
    assert added.status_code == 201, added.text
    li = added.json()
    assert li["id"].startswith("p-") and li["role"] == "building_head" and li["unit_name"] == "福石花园7栋"
    named = client.post("/api/people", json={"id": "p-mediator-01", "name": "调解员黄", "role": "mediator",
                                             "unit_code": FUSHI})
    assert named.status_code == 201 and named.json()["id"] == "p-mediator-01"
    assert client.post("/api/people", json={"id": "p-mediator-01", "name": "x", "role": "helper",
                                            "unit_code": FUSHI}).status_code == 409
    # every id in a body is checked: a unit beside the scope, a phone of another community, a device that is no phone
    outside = client.post("/api/people", json={"name": "x", "role": "helper", "unit_code": CUIWEI + "001"})
    assert outside.status_code == 403 and outside.json()["detail"]["code"] == "outside_scope"
    above = client.post("/api/people", json={"name": "x", "role": "street_staff", "unit_code": STREET})
    assert above.status_code == 403
    foreign_phone = client.post("/api/people", json={"name": "x", "role": "helper", "unit_code": FUSHI,
                                                     "phone_device_id": "phone-cw-01"})
    assert foreign_phone.status_code == 422 and foreign_phone.json()["detail"]["code"] == "not_a_phone"
    kiosk = client.post("/api/people", json={"name": "x", "role": "helper", "unit_code": FUSHI,
                                             "phone_device_id": "kiosk-fs-01"})
    assert kiosk.status_code == 422
    assert client.post("/api/people", json={"name": "x", "role": "mayor", "unit_code": FUSHI}).status_code == 422

    # edit: role, unit and phone; the other community's admin can neither edit ours nor move theirs into ours
    edited = client.patch(f"/api/people/{li['id']}", json={"role": "committee_member", "unit_code": GRID1,
                                                            "clear_phone": True})
    assert edited.status_code == 200, edited.text
    assert edited.json()["role"] == "committee_member" and edited.json()["phone_device_id"] is None
    assert client.patch(f"/api/people/{li['id']}", json={"name": "x"}, headers=bearer(other)).status_code == 404
    moved = client.patch("/api/people/p-cw-01", json={"unit_code": GRID1}, headers=bearer(other))
    assert moved.status_code == 403
    assert client.patch("/api/people/p-cw-01", json={"name": "mine now"}).status_code == 404
    with store.read() as conn:
        assert org_repo.person(conn, "p-cw-01").unit_code == CUIWEI + "001"

    # off duty: offered no new task, listed as inactive, back on duty again
    case_id = CaseService(store).open_case("people-test-1", "C0110", grid_code=GRID1, community_code=FUSHI).case.id
    assert "p-lead-01" in offered(client, case_id)
    assert "p-lead-01" in leaders(store)
    off = client.post("/api/people/p-lead-01/deactivate", json={"reason": "调离"})
    assert off.status_code == 200 and off.json()["active"] is False and off.json()["inactive_reason"] == "调离"
    assert "p-lead-01" not in leaders(store)
    assert "p-lead-01" not in offered(client, case_id)  # nor offered for a reassignment
    assert [p["id"] for p in client.get("/api/people?active=false").json()] == ["p-lead-01"]
    assert client.post("/api/people/p-lead-01/deactivate", json={}, headers=bearer(other)).status_code == 404
    assert client.post("/api/people/p-lead-01/activate").json()["active"] is True
    assert "p-lead-01" in leaders(store)

    # audited: each change with its ids, the edit with the fields before and after
    log = AccessLog(store).query(route="/api/people/{person_id}")
    patch = next(e for e in log if e.method == "PATCH" and e.status == 200)
    assert patch.resource_ids["before"]["role"] == "building_head"
    assert patch.resource_ids["after"]["role"] == "committee_member"
    assert any(e.resource_ids.get("person_id") == li["id"] for e in AccessLog(store).query(route="/api/people"))
    refused = [e for e in log if e.status == 404 and e.method == "PATCH"]
    assert refused  # refusals are logged too


def test_viewers_and_dispatchers_get_no_people_admin(client, store, sign_in):
    sign_in(client, store, role="dispatcher", scope=FUSHI)
    assert client.get("/api/people").status_code == 403
    assert client.post("/api/people", json={"name": "x", "role": "helper", "unit_code": FUSHI}).status_code == 403


def test_the_form_choices_and_account_edits_stay_inside_the_scope(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    other = sign_in(client, store, role="admin", scope=CUIWEI, username="cw-admin", set_default=False)
    mine = client.get("/api/people/choices").json()
    codes = {u["code"] for u in mine["units"]}
    assert FUSHI in codes and BUILDING in codes and CUIWEI not in codes and STREET not in codes
    assert "phone-fs-lead-01" in {p["device_id"] for p in mine["phones"]}
    assert "phone-cw-01" not in {p["device_id"] for p in mine["phones"]}
    assert {p["device_id"] for p in client.get("/api/people/choices", headers=bearer(other)).json()["phones"]} == {
        "phone-cw-01"}

    # accounts: role, scope and name changed inside the scope; not one's own; not into another community
    made = client.post("/api/operators", json={"username": "wang", "role": "viewer", "scope_code": FUSHI}).json()
    wang = made["operator"]["id"]
    changed = client.patch(f"/api/operators/{wang}", json={"role": "dispatcher", "scope_code": GRID1,
                                                           "display_name": "王调度"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["scope_code"], changed.json()["display_name"]) == (
        "dispatcher", GRID1, "王调度")
    beside = client.patch(f"/api/operators/{wang}", json={"scope_code": CUIWEI})
    assert beside.status_code == 403 and beside.json()["detail"]["code"] == "outside_scope"
    assert client.patch(f"/api/operators/{wang}", json={"role": "admin"}, headers=bearer(other)).status_code == 404
    me = client.get("/api/auth/me").json()["id"]
    assert client.patch(f"/api/operators/{me}", json={"role": "viewer"}).status_code == 409
    entry = next(e for e in AccessLog(store).query(route="/api/operators/{operator_id}") if e.status == 200)
    assert entry.resource_ids["before"]["role"] == "viewer" and entry.resource_ids["after"]["role"] == "dispatcher"
