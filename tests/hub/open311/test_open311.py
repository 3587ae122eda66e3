"""The Open311 GeoReport v2 facade on SQLite and PostgreSQL. Reads go through the third-party ``georeport``
client against a live uvicorn on a loopback port (JSON and XML); POST, tokens and request updates are
exercised with our own requests: a web report is routed by position like a kiosk's, enters the same
intake exactly once, and joins the open case when it repeats a known problem. Reads are public; POST needs
an api_key an admin issued (missing, unknown or revoked: 403, nothing stored)."""
from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager

import pytest
import requests
import sqlalchemy as sa
import uvicorn
import xmltodict
from fastapi.testclient import TestClient
from georeport import GeoReport

from hub.app import create_app
from hub.auth.api_keys import ApiKeyRegistry
from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.cases.intake import CaseIntake
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.routing import RouteResult
from hub.org.taxonomy import install_taxonomy, list_categories
from hub.sample import load_raw
from hub.settings import HubSettings
from hub.store.rows import RecordRow
from hub.store.tables import access_log, case_events, cases
from protocol import IncidentReport, Position, uuid7

from ..conftest import T0, raw, wait_until

GRID_1, GRID_2, GRID_3 = "440402004005001", "440402004005002", "440402004005003"
COMMUNITY = "440402004005"
BIN, RAILING = "C0302", "C0203"  # 垃圾箱 (环卫所), 道路护栏 (市政工程所)


@pytest.fixture
def fushi(store, clock):
    load_community(store, load_raw(), clock=clock)
    install_taxonomy(store)
    return CaseService(store, clock=clock)


KEYS: dict[str, str] = {}


@pytest.fixture
def api_key(store, fushi):
    """An Open311 key issued by the city's admin (the secret, as the client system gets it once)."""
    admin = OperatorDirectory(store, clock=store.clock).create("city-admin", "Gridline-test-2024!", role="admin",
                                                              scope_code="440400")
    KEYS["valid"] = ApiKeyRegistry(store, clock=store.clock).issue("12345 热线 hotline", admin.id)[1]
    return KEYS["valid"]


def kiosk_report(seq: int, category: str, lat: float, lon: float, note: str) -> IncidentReport:
    return IncidentReport(id=uuid7(), device_id="kiosk-fs-01", seq=seq, created_at=T0, category=category, note=note,
                          position=Position(lat=lat, lon=lon, accuracy_m=5))


@pytest.fixture
def seeded(store, fushi, clock):
    """Three kiosk reports through ingest + intake; B walked to 结案 by the sample's people."""
    reports = {"A": kiosk_report(1, BIN, 22.247, 113.5214, "垃圾箱满溢"),
               "B": kiosk_report(2, RAILING, 22.247, 113.5246, "护栏倒伏"),
               "C": kiosk_report(3, BIN, 22.253, 113.5214, "垃圾箱破损")}
    ingest_batch([raw(r) for r in reports.values()], store)
    assert CaseIntake(store, fushi).run_once() == 3
    with store.engine.connect() as conn:
        by_record = dict(conn.execute(sa.select(cases.c.source_record_id, cases.c.id)).all())
    ids = {key: by_record[r.id] for key, r in reports.items()}
    resolve = {"note": "已扶正", "evidence": ["ab" * 32], "position": (22.247, 113.5246, 5.0)}
    for transition, actor, extra in [("file", "p-lead-02", {}), ("dispatch", "p-lead-02", {"assignee": "p-worker-02"}),
                                     ("accept", "p-worker-02", {}), ("arrive", "p-worker-02", {}),
                                     ("resolve", "p-worker-02", resolve), ("verify", "p-lead-02", {}),
                                     ("close", "p-lead-02", {})]:
        fushi.transition(ids["B"], transition, actor, **extra)
    # An internal task (not from a report record, like the welfare watch's): never published.
    body = json.dumps({"category": BIN, "note": "内部任务", "position": {"lat": 22.2545, "lon": 113.5205}})
    internal = RecordRow(uuid7(), "hub", 1, "welfare", body, "0" * 64, clock(), clock())
    route = RouteResult(GRID_1, COMMUNITY, 1.0, False, "inside")
    ids["internal"] = fushi.open_case_from_report(internal, route).case.id
    return ids


@contextmanager
def live_hub(app):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=15)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/open311/v2"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture
def app(store, tmp_path, clock):
    return create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)


def test_georeport_client_reads_json_and_xml(app, store, seeded):
    public = {c.code for c in list_categories(store, enabled_only=True)} - {"E0703"}
    with live_hub(app) as base:
        client = GeoReport(base)
        services = client.get_service_list()
        assert {s["service_code"] for s in services} == public
        bin_service = next(s for s in services if s["service_code"] == BIN)
        assert bin_service["service_name"].startswith("垃圾箱") and bin_service["metadata"] is False
        assert client.get_service_definition(BIN) == {"service_code": BIN, "attributes": []}

        listed = client.get_service_requests()
        assert {r["service_request_id"] for r in listed} == {seeded["A"], seeded["B"], seeded["C"]}
        assert [r["service_request_id"] for r in client.get_service_requests(status="closed")] == [seeded["B"]]
        still_open = client.get_service_requests(status="open")
        assert {r["service_request_id"] for r in still_open} == {seeded["A"], seeded["C"]}
        assert {r["service_request_id"] for r in client.get_service_requests(service_code=BIN)} == {seeded["A"],
                                                                                                   seeded["C"]}
        assert client.get_service_requests(start_date="2024-07-01T00:00:00Z", end_date="2024-07-02T00:00:00Z") == []
        by_id = client.get_service_requests(service_request_id=f"{seeded['A']},{seeded['B']}")
        assert {r["service_request_id"] for r in by_id} == {seeded["A"], seeded["B"]}

        b = client.get_service_request(seeded["B"])
        assert (b["status"], b["service_code"], b["description"], b["lat"], b["long"]) == (
            "closed", RAILING, "护栏倒伏", 22.247, 113.5246)
        assert b["address_id"] == GRID_2 and b["address"].startswith("珠海市香洲区前山街道福石社区")
        assert b["agency_responsible"] == "市政工程所" and b["requested_datetime"].endswith("Z")
        assert b["status_notes"] == "已结案 closed"
        with pytest.raises(requests.HTTPError):
            client.get_service_request(seeded["internal"])  # internal tasks are not public

        xml_client = GeoReport(base, output_format="xml")
        xml_services = xml_client.get_service_list()
        assert {s["service_code"] for s in xml_services} == public
        assert xml_client.get_service_definition(BIN)["service_code"] == BIN
        assert {r["service_request_id"] for r in xml_client.get_service_requests()} == {
            seeded["A"], seeded["B"], seeded["C"]}
        xml_b = xml_client.get_service_request(seeded["B"])
        assert (xml_b["status"], xml_b["lat"], xml_b["address_id"]) == ("closed", "22.247", GRID_2)

        # Request updates (the servicerequestupdates extension): B's audit trail, oldest first.
        updates = requests.get(f"{base}/servicerequestupdates.json",
                               params={"service_request_id": seeded["B"]}).json()
        assert [u["description"].split()[1] for u in updates] == [
            "report", "file", "dispatch", "accept", "arrive", "resolve", "verify", "close"]
        assert [u["status"] for u in updates][-2:] == ["open", "closed"]
        every = requests.get(f"{base}/servicerequestupdates.xml").content
        parsed = xmltodict.parse(every)["service_request_updates"]["request_update"]
        assert seeded["internal"] not in {u["service_request_id"] for u in parsed}
        assert {u["service_request_id"] for u in parsed} >= {seeded["A"], seeded["B"], seeded["C"]}

        missing = requests.get(f"{base}/requests/0190a000-0000-7000-8000-000000000000.json")
        assert missing.status_code == 404 and missing.json()[0]["code"] == 404
        bad_xml = requests.get(f"{base}/requests.xml", params={"start_date": "yesterday"})
        assert bad_xml.status_code == 400
        assert "W3C" in xmltodict.parse(bad_xml.content)["errors"]["error"]["description"]
        assert requests.get(f"{base}/services.csv").status_code == 404


def post(client, fmt="json", **form):
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": KEYS["valid"]} | form)


def test_post_request_enters_the_report_pipeline_once(app, store, fushi, clock, api_key):
    with TestClient(app) as client:
        created = post(client, service_code=BIN, lat="22.25", long="113.5277", description="垃圾箱倾倒",
                       email="someone@example.com", first_name="张")
        assert created.status_code == 200, created.text
        [answer] = created.json()
        case_id = answer["service_request_id"]
        got = client.get(f"/open311/v2/requests/{case_id}.json").json()[0]
        assert (got["status"], got["service_code"], got["description"]) == ("open", BIN, "垃圾箱倾倒")
        assert got["address_id"] == GRID_3 and (got["lat"], got["long"]) == (22.25, 113.5277)  # routed by position

        # The same pipeline as a kiosk's report: a stored 'report' record of the virtual source, and the
        # intake (which runs in the background too) finds nothing left to do.
        case = fushi.get(case_id)
        record = store.get_record(case.source_record_id)
        assert (record.device_id, record.seq, record.kind) == ("open311", 1, "report")
        assert "someone@example.com" not in record.payload and "张" not in record.payload  # contact not kept
        assert api_key not in record.payload
        assert CaseIntake(store, fushi).run_once() == 0
        with store.engine.connect() as conn:
            opened = conn.execute(sa.select(sa.func.count()).select_from(case_events).where(
                case_events.c.client_event_id == f"report:{record.id}")).scalar_one()
        assert opened == 1
        token = client.get(f"/open311/v2/tokens/{record.id}.json").json()[0]
        assert token["service_request_id"] == case_id

        # The same problem reported again from the web joins the open case (no second case).
        again = post(client, service_code=BIN, lat="22.25001", long="113.5277", description="还是没人管").json()[0]
        assert again["service_request_id"] == case_id and "joined" in again["service_notice"]
        assert fushi.get(case_id).report_count == 2

        # Outside every grid, a little west of grid 1: falls to the community (属地兜底), flagged.
        outside = post(client, "xml", service_code=RAILING, lat="22.25", long="113.5190")
        assert outside.status_code == 200 and outside.headers["content-type"].startswith("text/xml")
        outside_id = xmltodict.parse(outside.content)["service_requests"]["request"]["service_request_id"]
        fallback = fushi.get(outside_id)
        assert (fallback.grid_code, fallback.community_code, fallback.flagged_for_review) == (None, COMMUNITY, True)
        assert store.stored_seqs("open311") == [1, 2, 3]  # gap-free like a real device

        # Updates list the web request's trail.
        trail = client.get("/open311/v2/servicerequestupdates.json", params={"service_request_id": case_id}).json()
        steps = [u["description"].split()[1] for u in trail]
        assert steps[0] == "report" and "duplicate" in steps  # (auto-dispatch may file/dispatch in between)


def test_post_request_errors(app, store, fushi, api_key):
    with TestClient(app) as client:
        for form, status, words in [({"lat": "22.25", "long": "113.5277"}, 400, "service_code"),
                                    ({"service_code": "X9999", "lat": "22.25", "long": "113.52"}, 404, "X9999"),
                                    ({"service_code": "E0703", "lat": "22.25", "long": "113.52"}, 404, "E0703"),
                                    ({"service_code": BIN, "address_string": "福石路1号"}, 400, "lat and long"),
                                    ({"service_code": BIN, "lat": "north", "long": "113.52"}, 400, "WGS-84"),
                                    ({"service_code": BIN, "lat": "95", "long": "113.52"}, 400, "WGS-84"),
                                    ({"service_code": BIN, "lat": "22.25", "long": "113.52",
                                      "description": "长" * 1001}, 400, "description")]:
            response = post(client, **form)
            assert response.status_code == status, (form, response.text)
            [err] = response.json()
            assert err["code"] == status and words in err["description"], err
        xml = post(client, "xml", lat="22.25")
        assert xml.status_code == 400 and xmltodict.parse(xml.content)["errors"]["error"]["code"] == "400"
        multipart = client.post("/open311/v2/requests.json", files={"service_code": (None, BIN)})
        assert multipart.status_code == 400
        assert client.get("/open311/v2/tokens/nope.json").status_code == 404
        assert store.count_records(device_id="open311") == 0  # nothing refused was stored


def test_post_needs_a_live_api_key_and_is_audited(app, store, fushi, api_key):
    form = {"service_code": BIN, "lat": "22.25", "long": "113.5277", "description": "垃圾箱倾倒"}
    with TestClient(app) as client:
        for key in (None, "", "g311_" + "x" * 43, "any"):
            data = form if key is None else form | {"api_key": key}
            refused = client.post("/open311/v2/requests.json", data=data)
            assert refused.status_code == 403 and "api_key" in refused.json()[0]["description"], refused.text
        xml = client.post("/open311/v2/requests.xml", data=form)
        assert xml.status_code == 403 and xmltodict.parse(xml.content)["errors"]["error"]["code"] == "403"
        assert store.count_records(device_id="open311") == 0
        assert client.post("/open311/v2/requests.json", data=form | {"api_key": api_key}).status_code == 200
        keys = ApiKeyRegistry(store, clock=store.clock)
        [issued] = keys.all_keys()
        keys.revoke(issued.id)
        assert client.post("/open311/v2/requests.json", data=form | {"api_key": api_key}).status_code == 403
        assert client.get("/open311/v2/services.json").status_code == 200  # reads stay public
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(access_log).order_by(access_log.c.id)).all()
    posts = [(r.status, r.api_key_id) for r in rows if r.route == "/open311/v2/requests.{fmt}"]
    assert posts == [(403, None)] * 5 + [(200, issued.id), (403, None)]
    assert not any(r.method == "GET" for r in rows)  # public reads of non-personal data are not logged
