"""Issue 14, hole 5: scope follows the unit hierarchy (``parent_code``), not code prefixes - over a real store
(SQLite and PostgreSQL), through the API and the live publisher.

The sample's city 440400 is no prefix of its district 440402, so the city's root admin saw nothing below it. Two
more units make both directions of the old mistake visible:

- an enclave street 440499001 (→ community 440499001001 → grid 440499001001001) under district 440402 whose code
  does not extend the district's: the district's operators must see and manage it;
- an "imposter" grid 440402004005009 whose code extends 福石's but whose parent is 翠微: 福石's operators must
  not see it, 翠微's must.
"""
from __future__ import annotations

import asyncio

from hub.cases import CaseService
from hub.devices.identities import DeviceRegistry
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.web.publisher import LivePublisher
from hub.welfare.enrolment import EnrolmentRegistry, EnrolmentSpec
from tests.security.scope_fixtures import *  # noqa: F403 - the fixtures: scope_client, scope_store, scope_world ...
from tests.security.scope_fixtures import (
    CITY,
    CUIWEI,
    DISTRICT,
    FUSHI,
    GRID1,
    account,
    operator_id,
    report_case,
    store_photo,
)

ENCLAVE_STREET, ENCLAVE, ENCLAVE_GRID = "440499001", "440499001001", "440499001001001"
IMPOSTER_GRID = "440402004005009"  # 福石's code + 009, but a grid of 翠微


def _square(lon: float, lat: float) -> dict:
    ring = [[lon, lat], [lon + 0.002, lat], [lon + 0.002, lat + 0.002], [lon, lat + 0.002], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def add_odd_units(store, clock) -> dict[str, str]:
    """The enclave and the imposter grid, each with a person, a bound kiosk, its photo and a case."""
    with store.write() as conn:
        save_units(conn, [Unit(ENCLAVE_STREET, "street", "飞地街道", DISTRICT),
                          Unit(ENCLAVE, "community", "飞地社区", ENCLAVE_STREET),
                          Unit(ENCLAVE_GRID, "grid", "飞地一网格", ENCLAVE, _square(113.60, 22.30)),
                          Unit(IMPOSTER_GRID, "grid", "翠微飞地网格", CUIWEI, _square(113.62, 22.30))], clock())
        save_people(conn, [Person("p-enclave-lead", "飞地网格长", "grid_leader", ENCLAVE_GRID),
                           Person("p-enclave-patrol", "飞地志愿者", "patrol_volunteer", ENCLAVE_GRID),
                           Person("p-imposter-lead", "飞地网格长乙", "grid_leader", IMPOSTER_GRID)])
        save_device_bindings(conn, [DeviceBinding("kiosk-enclave-01", "kiosk", ENCLAVE_GRID),
                                    DeviceBinding("kiosk-imposter-01", "kiosk", IMPOSTER_GRID)])
    service = CaseService(store, clock=clock)
    made = {"enclave_photo": store_photo(store, "kiosk-enclave-01", "enclave"),
            "imposter_photo": store_photo(store, "kiosk-imposter-01", "imposter")}
    made["enclave_case"] = report_case(service, clock, "kiosk-enclave-01", made["enclave_photo"], ENCLAVE_GRID,
                                       ENCLAVE, lat=22.30)
    made["imposter_case"] = report_case(service, clock, "kiosk-imposter-01", made["imposter_photo"], IMPOSTER_GRID,
                                        CUIWEI, lat=22.31)
    made["enrolment"] = EnrolmentRegistry(store, clock=clock).enrol(EnrolmentSpec(
        resident_key="e" * 64, grid_code=ENCLAVE_GRID, window_start="07:00", window_end="10:00",
        primary_helper="p-enclave-patrol"), "p-enclave-lead").id
    return made


def test_the_city_root_admin_manages_everything_below_it(scope_client, scope_store, scope_world, scope_clock):
    client, w = scope_client, scope_world
    city = account(client, scope_store, "city-admin", role="admin", scope=CITY)
    fushi = account(client, scope_store, "fs-disp", role="dispatcher", scope=FUSHI, person="p-disp-g1")
    fushi_id = operator_id(client, fushi)
    DeviceRegistry(scope_store, clock=scope_clock).register("phone-fs-new-01", kind="phone", unit_code=GRID1,
                                                            owner_person_id="p-lead-01", by="cli")

    assert {"city-admin", "fs-disp"} <= {o["username"] for o in client.get("/api/operators", headers=city).json()}
    reset = client.post(f"/api/operators/{fushi_id}/password", json={}, headers=city)
    assert reset.status_code == 200, reset.text
    assert client.get("/api/devices/phone-fs-new-01/identity", headers=city).status_code == 200
    revoked = client.post("/api/devices/phone-fs-new-01/revoke", json={"reason": "手机遗失"}, headers=city)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert "phone-fs-new-01" in {i["device_id"] for i in client.get("/api/device-identities", headers=city).json()}
    assert w.case in {c["id"] for c in client.get("/api/cases", headers=city).json()["items"]}
    assert w.case in {c["id"] for c in client.get("/api/map/cases", headers=city).json()}
    grids = {f["properties"]["code"] for f in client.get("/api/map/grids", headers=city).json()["features"]}
    assert GRID1 in grids
    assert "p-lead-01" in {p["id"] for p in client.get("/api/map/people", headers=city).json()}
    assert "kiosk-fs-01" in {d["id"] for d in client.get("/api/map/devices", headers=city).json()["devices"]}
    created = client.post("/api/operators", json={"username": "district-disp", "role": "dispatcher",
                                                  "scope_code": DISTRICT}, headers=city)
    assert created.status_code == 201, created.text


def test_scope_follows_parent_links_not_code_prefixes(scope_client, scope_store, scope_world, scope_clock):
    client = scope_client
    odd = add_odd_units(scope_store, scope_clock)
    district = account(client, scope_store, "district-admin", role="admin", scope=DISTRICT)
    enclave = account(client, scope_store, "enclave-disp", role="dispatcher", scope=ENCLAVE, person="p-enclave-lead")
    fushi = account(client, scope_store, "fushi-admin", role="admin", scope=FUSHI)
    cuiwei = account(client, scope_store, "cuiwei-admin", role="admin", scope=CUIWEI)
    enclave_id = operator_id(client, enclave)
    assert client.get(f"/api/cases/{odd['enclave_case']}", headers=enclave).status_code == 200  # a logged read

    # the district sees and manages the enclave although 440499001 does not start with 440402
    assert "enclave-disp" in {o["username"] for o in client.get("/api/operators", headers=district).json()}
    assert client.post(f"/api/operators/{enclave_id}/enable", headers=district).status_code == 200
    assert client.post("/api/operators", json={"username": "enclave-viewer", "role": "viewer",
                                               "scope_code": ENCLAVE}, headers=district).status_code == 201
    assert odd["enclave_case"] in {c["id"] for c in client.get("/api/cases", headers=district).json()["items"]}
    assert client.get(f"/api/cases/{odd['enclave_case']}", headers=district).status_code == 200
    assert client.get("/api/cases", params={"unit": ENCLAVE}, headers=district).json()["total"] == 1
    assert "kiosk-enclave-01" in {d["id"] for d in client.get("/api/devices", headers=district).json()}
    assert client.get(f"/api/photos/{odd['enclave_photo']}", headers=district).status_code == 200
    assert "p-enclave-lead" in {p["id"] for p in client.get("/api/map/people", headers=district).json()}
    grids = {f["properties"]["code"] for f in client.get("/api/map/grids", headers=district).json()["features"]}
    assert ENCLAVE_GRID in grids and IMPOSTER_GRID in grids  # 翠微 is under the district too
    enrolments = client.get("/api/welfare/enrolments", headers=district).json()
    assert odd["enrolment"] in {e["id"] for e in enrolments}
    log = client.get("/api/access-log", params={"operator_id": enclave_id}, headers=district).json()
    assert "/api/cases/{case_id}" in {r["route"] for r in log}
    assert odd["enclave_case"] in {i["case_id"] for i in client.get("/api/live/recent", headers=district).json()}

    # 福石 does not see the imposter grid although its code starts with 福石's; 翠微, its parent, does
    for url in (f"/api/cases/{odd['imposter_case']}", f"/api/photos/{odd['imposter_photo']}",
                "/api/devices/kiosk-imposter-01"):
        assert client.get(url, headers=fushi).status_code == 404, url
        assert client.get(url, headers=cuiwei).status_code == 200, url
    assert odd["imposter_case"] not in {c["id"] for c in client.get("/api/cases", headers=fushi).json()["items"]}
    assert client.get("/api/cases", params={"unit": IMPOSTER_GRID}, headers=fushi).json()["total"] == 0
    assert "kiosk-imposter-01" not in {d["id"] for d in client.get("/api/devices", headers=fushi).json()}
    assert "p-imposter-lead" not in {p["id"] for p in client.get("/api/map/people", headers=fushi).json()}
    grids = {f["properties"]["code"] for f in client.get("/api/map/grids", headers=fushi).json()["features"]}
    assert IMPOSTER_GRID not in grids
    refused = client.post("/api/operators", json={"username": "imposter-disp", "role": "dispatcher",
                                                  "scope_code": IMPOSTER_GRID}, headers=fushi)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "outside_scope"


def test_the_live_stream_follows_the_hierarchy(scope_store, scope_world, scope_clock):
    odd = add_odd_units(scope_store, scope_clock)

    async def scenario() -> dict[str, set[str]]:
        publisher = LivePublisher(scope_store, clock=scope_store.clock)
        subscribers = {"city": publisher.subscribe(CITY, see_unbound=True), "district": publisher.subscribe(DISTRICT),
                       "fushi": publisher.subscribe(FUSHI), "cuiwei": publisher.subscribe(CUIWEI)}
        await asyncio.sleep(0)
        assert publisher._task is not None
        publisher._task.cancel()  # drive the polls by hand
        publisher._start_cursors()
        service = CaseService(scope_store, clock=scope_store.clock)
        for case_id in (scope_world.case, odd["enclave_case"], odd["imposter_case"]):
            service.transition(case_id, "note", "system", note="巡查")
        publisher._fan_out(*publisher.poll_once())
        return {name: {data["case_id"] for _, data, _ in sub.take()[0]} for name, sub in subscribers.items()}

    seen = asyncio.run(scenario())
    assert seen["city"] == {scope_world.case, odd["enclave_case"], odd["imposter_case"]}
    assert seen["district"] == {scope_world.case, odd["enclave_case"], odd["imposter_case"]}
    assert seen["fushi"] == {scope_world.case}
    assert seen["cuiwei"] == {odd["imposter_case"]}
