"""Who may call what, over a real store (SQLite and PostgreSQL): every API route but the public ones answers
401 without a session (found by walking the OpenAPI schema, so a new route cannot slip through); viewers
read but never act; an operator of one community cannot see another community's cases, photos, devices or
records (404, as if absent) while the street above sees both; and the access audit log records actions,
refusals and reads of personal data - not plain lists - and only admins may query it."""
from __future__ import annotations

import hashlib
import json
import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.cases import CaseService
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.org.routing import RouteResult
from hub.settings import HubSettings
from hub.store import create_hub_engine
from hub.store.rows import RecordRow
from hub.store.tables import access_log, metadata
from protocol import uuid7

from ..conftest import Device, raw

FUSHI, FUSHI_GRID = "440402004005", "440402004005001"
CUIWEI, CUIWEI_GRID = "440402004006", "440402004006001"  # a second community on the same street
STREET = "440402004"
# Public on purpose: health, sign-in, and a device's enrolment (its one-time code is its proof; device identity work).
PUBLIC = {("/api/health", "get"), ("/api/auth/login", "post"), ("/api/enroll", "post")}
# A device's own broker credentials (HTTP Basic), not an operator session: tests/hub/cases/test_device_photos.py.
DEVICE = {("/api/device/photos/{sha256}", "get"), ("/api/device/deployment-key", "get")}


def _photo(store, device_id: str, seed: str) -> str:
    data = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(seed.encode()).digest() * 40
    chunks = Device(device_id).photo_chunks(data)
    ingest_batch([raw(c) for c in chunks], store)
    return chunks[0].sha256


def _case(service: CaseService, clock, grid: str, community: str, device: str, photo: str, lat: float) -> str:
    body = json.dumps(
        {
            "category": "E0101",
            "note": "路面坑洞",
            "position": {"lat": lat, "lon": 113.52, "accuracy_m": 5.0},
            "photos": [{"sha256": photo}],
        }
    )
    record = RecordRow(uuid7(), device, 1, "report", body, hashlib.sha256(body.encode()).hexdigest(), clock(), clock())
    return service.open_case_from_report(record, RouteResult(grid, community, 1.0, False, "inside")).case.id


@pytest.fixture
def world(store, clock):
    """福石 (the sample) and 翠微 next to it: a bound kiosk, a photo and a case in each."""
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_units(
            conn,
            [Unit(CUIWEI, "community", "翠微社区", STREET), Unit(CUIWEI_GRID, "grid", "翠微一网格", CUIWEI)],
            clock(),
        )
        save_people(conn, [Person("cw-lead", "网格长翠", "grid_leader", CUIWEI_GRID)])
        save_device_bindings(conn, [DeviceBinding("kiosk-cw-01", "kiosk", CUIWEI_GRID)])
    service = CaseService(store, clock=clock)
    w = {
        "fushi_photo": _photo(store, "kiosk-fs-01", "fushi"),
        "cuiwei_photo": _photo(store, "kiosk-cw-01", "cuiwei"),
        "loose_photo": _photo(store, "kiosk-unbound", "nobody's"),
    }
    w["fushi_case"] = _case(service, clock, FUSHI_GRID, FUSHI, "kiosk-fs-01", w["fushi_photo"], 22.25)
    w["cuiwei_case"] = _case(service, clock, CUIWEI_GRID, CUIWEI, "kiosk-cw-01", w["cuiwei_photo"], 22.30)
    # Evidence a district phone uploaded for 福石's case: 福石 sees it through the case, 翠微 does not.
    w["evidence"] = _photo(store, "phone-district", "evidence")
    service.transition(
        w["fushi_case"], "note", "p-lead-01", note="补充照片", evidence=[w["evidence"]], actor_device="phone-district"
    )  # cited by the phone that uploaded it
    ingest_batch(
        [
            raw(m)
            for d in ("kiosk-cw-01", "kiosk-fs-01", "kiosk-unbound")
            for m in (Device(d).heartbeat(), Device(d).report("井盖松动"))
        ],
        store,
    )
    return w


@pytest.fixture
def client(store, tmp_path, clock, world):
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {"sha256": "0" * 64, "fmt": "json"}.get(m[1], "kiosk-x"), path)


def test_every_route_but_the_public_ones_needs_a_session(client):
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.startswith(("/api/", "/open311/")):
            continue  # dashboard pages: static shells whose data comes from this API
        for method in operations:
            url = _fill(path)
            response = client.request(method.upper(), url, json={})
            if (path, method) in DEVICE:
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.headers["www-authenticate"].startswith("Basic"), (method, path)
                continue
            if (path, method) in PUBLIC or (path.startswith("/open311/") and method == "get"):
                assert response.status_code != 401, (method, path)
            elif path.startswith("/open311/"):
                assert response.status_code == 403, (method, path, response.text)  # POST: api_key
            else:
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.headers["www-authenticate"] == "Bearer"
                checked += 1
    assert checked >= 30


def test_a_disabled_or_signed_out_session_stops_working(client, store, sign_in):
    token = sign_in(client, store, role="dispatcher")
    assert client.get("/api/cases").status_code == 200
    client.post("/api/auth/logout")
    client.cookies.clear()
    assert client.get("/api/cases").status_code == 401
    token = sign_in(client, store, role="dispatcher")
    from hub.auth.operators import OperatorDirectory

    directory = OperatorDirectory(store, clock=store.clock)
    directory.set_disabled(directory.session_operator(token).id, True)
    assert client.get("/api/cases").status_code == 401


def test_viewer_reads_but_cannot_act(client, store, world, sign_in):
    sign_in(client, store, role="viewer", person="p-lead-01")
    case_id = world["fushi_case"]
    assert client.get("/api/cases").json()["total"] == 1
    assert client.get(f"/api/cases/{case_id}").status_code == 200
    assert client.get(f"/api/cases/{case_id}/allowed").json()["transitions"] == []
    for method, url, body in [
        ("post", f"/api/cases/{case_id}/transitions", {"transition": "file"}),
        ("post", "/api/welfare/enrolments", {}),
        ("post", "/api/welfare/enrolments/x/resume", None),
        ("post", "/api/devices/kiosk-fs-01/messages", {"kind": "notice"}),
        ("get", "/api/dead-letters", None),
        ("get", "/api/access-log", None),
        ("get", "/api/operators", None),
    ]:
        response = client.request(method.upper(), url, json=body)
        assert response.status_code == 403, (method, url, response.text)
    assert client.get(f"/api/cases/{case_id}").json()["state"] == "reported"  # nothing changed


def test_a_community_sees_only_its_own(client, store, world, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, person="p-lead-01")
    theirs, ours = world["cuiwei_case"], world["fushi_case"]
    assert [c["id"] for c in client.get("/api/cases").json()["items"]] == [ours]
    assert client.get("/api/cases", params={"unit": CUIWEI}).json()["items"] == []
    for url in (
        f"/api/cases/{theirs}",
        f"/api/cases/{theirs}/events",
        f"/api/cases/{theirs}/allowed",
        f"/api/photos/{world['cuiwei_photo']}",
        f"/api/photos/{world['loose_photo']}",
        "/api/devices/kiosk-cw-01",
        "/api/devices/kiosk-cw-01/messages",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/cases/{theirs}/transitions", json={"transition": "file"}).status_code == 404
    assert client.post("/api/devices/kiosk-cw-01/messages", json={"kind": "notice"}).status_code == 404
    assert [d["id"] for d in client.get("/api/devices").json()] == ["kiosk-fs-01"]
    records = client.get("/api/records").json()["items"]
    assert len(records) == 1 and records[0]["device_id"] == "kiosk-fs-01"
    [their_record], _ = store.list_records(device_id="kiosk-cw-01")
    assert client.get(f"/api/records/{their_record.id}").status_code == 404
    assert client.get(f"/api/records/{records[0]['id']}").status_code == 200
    assert all(r["device_id"] == "kiosk-fs-01" for r in client.get("/api/dead-letters").json())
    for photo in ("fushi_photo", "evidence"):  # its kiosk's photo; a district phone's evidence on its case
        assert client.get(f"/api/photos/{world[photo]}").status_code == 200, photo
    assert client.get(f"/api/cases/{ours}").status_code == 200

    street = sign_in(client, store, role="supervisor", scope=STREET, set_default=False)
    headers = {"Authorization": f"Bearer {street}"}
    assert {c["id"] for c in client.get("/api/cases", headers=headers).json()["items"]} == {ours, theirs}
    assert client.get(f"/api/photos/{world['cuiwei_photo']}", headers=headers).status_code == 200
    assert client.get(f"/api/photos/{world['loose_photo']}", headers=headers).status_code == 404  # unbound device
    top = sign_in(client, store, role="admin", scope="440400", set_default=False)
    assert (
        client.get(f"/api/photos/{world['loose_photo']}", headers={"Authorization": f"Bearer {top}"}).status_code == 200
    )


def _log(store) -> list:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(access_log).order_by(access_log.c.id)).all()


def test_actions_refusals_and_personal_reads_are_audited(client, store, world, sign_in):
    dispatcher = sign_in(client, store, role="dispatcher", person="p-lead-01", username="chen")
    me = client.get("/api/auth/me").json()["id"]
    case_id = world["fushi_case"]
    before = len(_log(store))
    client.get("/api/cases")  # a list of cases: not personal, not logged
    client.get("/api/devices")
    assert len(_log(store)) == before
    assert client.post(f"/api/cases/{case_id}/transitions", json={"transition": "file"}).status_code == 200
    assert client.get(f"/api/photos/{world['fushi_photo']}").status_code == 200
    assert client.get(f"/api/photos/{world['cuiwei_photo']}").status_code == 404
    assert client.get(f"/api/cases/{case_id}").status_code == 200
    assert client.get("/api/welfare/checks").status_code == 200
    rows = _log(store)[before:]
    assert [(r.method, r.route, r.status) for r in rows] == [
        ("POST", "/api/cases/{case_id}/transitions", 200),
        ("GET", "/api/photos/{sha256}", 200),
        ("GET", "/api/photos/{sha256}", 404),
        ("GET", "/api/cases/{case_id}", 200),
        ("GET", "/api/welfare/checks", 200),
    ]
    assert {r.operator_id for r in rows} == {me} and rows[0].resource_ids == {"case_id": case_id}
    assert rows[1].resource_ids == {"sha256": world["fushi_photo"]} and rows[0].client_addr == "testclient"
    assert rows[0].at == store.clock()

    viewer = sign_in(client, store, role="viewer", set_default=False)
    refused = client.post(
        f"/api/cases/{case_id}/transitions",
        json={"transition": "dispatch"},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert refused.status_code == 403
    assert (_log(store)[-1].route, _log(store)[-1].status) == ("/api/cases/{case_id}/transitions", 403)
    client.post("/api/auth/login", json={"username": "chen", "password": "wrong-password"})
    failed = _log(store)[-1]
    assert (failed.route, failed.status, failed.operator_id, failed.resource_ids) == (
        "/api/auth/login",
        401,
        None,
        {"username": "chen"},
    )
    client.post("/api/auth/logout", headers={"Authorization": f"Bearer {dispatcher}"})
    assert _log(store)[-1].route == "/api/auth/logout" and _log(store)[-1].operator_id == me


def test_admins_query_the_log_of_their_subtree(client, store, world, sign_in):
    theirs = sign_in(client, store, role="dispatcher", scope=CUIWEI, set_default=False)
    client.get(f"/api/photos/{world['cuiwei_photo']}", headers={"Authorization": f"Bearer {theirs}"})
    sign_in(client, store, role="dispatcher", person="p-lead-01", username="chen")
    client.post(f"/api/cases/{world['fushi_case']}/transitions", json={"transition": "file"})
    assert client.get("/api/access-log").status_code == 403  # not an admin
    admin = sign_in(client, store, role="admin", scope=FUSHI)
    rows = client.get("/api/access-log").json()
    mine = {r["route"] for r in rows}
    assert "/api/cases/{case_id}/transitions" in mine and "/api/photos/{sha256}" not in mine  # 翠微's view: not ours
    [action] = client.get("/api/access-log", params={"resource_id": world["fushi_case"]}).json()
    assert action["method"] == "POST" and action["status"] == 200
    assert (
        client.get("/api/access-log", params={"route": "/api/access-log"}).json()[0]["operator_id"]
        == client.get("/api/auth/me").json()["id"]
    )  # reading the log is itself logged
    top = sign_in(client, store, role="admin", scope="440400", set_default=False)
    everything = client.get("/api/access-log", params={"limit": 1000}, headers={"Authorization": f"Bearer {top}"})
    assert "/api/photos/{sha256}" in {r["route"] for r in everything.json()}
    assert admin


def test_migration_0007_matches_the_tables(store):
    engine = create_hub_engine(store.db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, *_: (
                        (name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None))
                        in {"access_log", "api_keys"}
                    ),
                },
            )
            diffs = compare_metadata(ctx, metadata)
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
    finally:
        engine.dispose()
