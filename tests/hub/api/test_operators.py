"""Admin API for accounts and Open311 keys, over a real store (SQLite and PostgreSQL): a community's admin
creates, resets, disables and links accounts inside the community only - never one scoped above or beside
it - and an account becomes able to act once linked to a person. Open311 keys come from the top unit's
admins and work on the facade at once."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.org.geojson_io import load_community
from hub.org.repo import Unit, save_units
from hub.settings import HubSettings

FUSHI, CUIWEI, STREET = "440402004005", "440402004006", "440402004"


@pytest.fixture
def client(store, tmp_path, clock):
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_units(conn, [Unit(CUIWEI, "community", "翠微社区", STREET)], clock())
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, username: str, password: str):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_a_community_admin_manages_accounts_inside_the_community_only(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    other = sign_in(client, store, role="admin", scope=CUIWEI, username="cw-admin", set_default=False)

    created = client.post("/api/operators", json={"username": "wang", "role": "dispatcher", "scope_code": FUSHI,
                                                  "display_name": "王调度"})
    assert created.status_code == 201, created.text
    wang, password = created.json()["operator"], created.json()["password"]
    assert wang["person_id"] is None and len(password) >= 16
    for scope in (STREET, CUIWEI):  # above or beside the admin's own scope
        refused = client.post("/api/operators", json={"username": f"x{scope}", "role": "viewer", "scope_code": scope})
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "outside_scope"
    assert client.post("/api/operators", json={"username": "wang", "role": "viewer",
                                               "scope_code": FUSHI}).status_code == 409
    assert client.post("/api/operators", json={"username": "li", "role": "viewer", "scope_code": FUSHI,
                                               "password": "short"}).status_code == 422
    assert {o["username"] for o in client.get("/api/operators").json()} == {"fs-admin", "wang"}
    assert client.get("/api/operators", headers=bearer(other)).json()[0]["username"] == "cw-admin"
    assert client.post(f"/api/operators/{wang['id']}/disable", headers=bearer(other)).status_code == 404

    # wang signs in, but may not act until an admin links the person he is
    token = login(client, "wang", password).json()["token"]
    case_list = client.get("/api/cases", headers=bearer(token))
    assert case_list.status_code == 200
    no_person = client.post("/api/welfare/enrolments/x/resume", headers=bearer(token))
    assert no_person.status_code == 403 and no_person.json()["detail"]["code"] == "no_person"
    assert client.put(f"/api/operators/{wang['id']}/person",
                      json={"person_id": "nobody"}).status_code == 422
    linked = client.put(f"/api/operators/{wang['id']}/person", json={"person_id": "p-lead-01"})
    assert linked.json()["person_id"] == "p-lead-01"
    assert client.post("/api/welfare/enrolments/x/resume", headers=bearer(token)).status_code == 404  # may act now

    reset = client.post(f"/api/operators/{wang['id']}/password", json={}).json()
    assert client.get("/api/cases", headers=bearer(token)).status_code == 401  # a new password ends sessions
    assert login(client, "wang", password).status_code == 401
    token = login(client, "wang", reset["password"]).json()["token"]
    assert client.post(f"/api/operators/{wang['id']}/disable").json()["disabled"]
    assert client.get("/api/cases", headers=bearer(token)).status_code == 401
    me = client.get("/api/auth/me").json()["id"]
    assert client.post(f"/api/operators/{me}/disable").status_code == 409
    assert client.get("/api/operators", headers=bearer(token)).status_code == 401


def test_open311_keys_come_from_top_admins_and_work_at_once(client, store, sign_in):
    community_admin = sign_in(client, store, role="admin", scope=FUSHI, set_default=False)
    assert client.post("/api/open311-keys", json={"name": "x"}, headers=bearer(community_admin)).status_code == 403
    sign_in(client, store, role="admin", scope="440400")
    issued = client.post("/api/open311-keys", json={"name": "12345 热线 hotline"})
    assert issued.status_code == 201
    key = issued.json()
    listed = client.get("/api/open311-keys").json()
    assert [k["id"] for k in listed] == [key["id"]] and "api_key" not in listed[0]
    form = {"service_code": "C0302", "lat": "22.25", "long": "113.5277", "api_key": key["api_key"]}
    client.headers.pop("Authorization")
    client.cookies.clear()  # a 311 client system has no session: the key alone lets it post
    assert client.post("/open311/v2/requests.json", data=form).status_code == 200
    sign_in(client, store, role="admin", scope="440400")
    assert client.post(f"/api/open311-keys/{key['id']}/revoke").json()["revoked_at"]
    assert client.post("/open311/v2/requests.json", data=form).status_code == 403
