"""The services API (both backends): queues, the dispute register with grading by the colour's plan, outcome and
30-day follow-up, the visit diary, KPIs and the CSV / xlsx exports - in the operator's scope only (another
community's dispute is 404); private text (parties, agreements, visit notes) hidden from viewers."""
from __future__ import annotations

import io
import itertools

from openpyxl import load_workbook

from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.repo import Person, save_people
from hub.services.desk import ServiceDesk
from hub.services.visits import VisitIntake
from protocol import HomeVisit, encode, uplink_topic_for, uuid7
from tests.hub.api.dashboard_fixtures import FUSHI, OTHER, PASSWORD, dashboard  # noqa: F401 - the fixture

GRID1 = FUSHI + "001"
_seq = itertools.count(1)


def bearer(client, username: str) -> dict[str, str]:
    client.cookies.clear()
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def setup_services(store) -> tuple[str, str]:
    with store.write() as conn:
        save_people(conn, [Person("p-med-fs", "调解员", "mediator", FUSHI, "phone-fs-med-01"),
                           Person("p-cm-fs", "两委委员", "committee_member", FUSHI, "phone-fs-cm-01"),
                           Person("p-sec-fs", "社区书记", "community_secretary", FUSHI, "phone-fs-sec-01"),
                           Person("p-legal-fs", "法律顾问", "legal_adviser", FUSHI, "phone-fs-legal-01"),
                           Person("p-med-wz", "湾仔调解员", "mediator", OTHER, "phone-wz-med-01")])
    OperatorDirectory(store, clock=store.clock).create("look", PASSWORD, role="viewer", scope_code=FUSHI)
    cases = CaseService(store, clock=store.clock)
    desk = ServiceDesk(store, cases)
    mine = desk.open_request("mediation", source_id=uuid7(), origin="api", unit_code=GRID1, note="噪音纠纷").case.id
    theirs = desk.open_request("mediation", source_id=uuid7(), origin="api", unit_code=OTHER + "001").case.id
    visit = HomeVisit(id=uuid7(), device_id="phone-fs-worker-01", seq=next(_seq), created_at=store.clock(),
                      grid_code=GRID1, household_key="4a" * 32, met="resident", private_note="独居，子女在深圳",
                      needs=[{"kind": "legal", "level": "community"}])
    ingest_batch([RawMessage(uplink_topic_for(visit), encode(visit), store.clock())], store)
    assert VisitIntake(desk).run_once() == 1
    return mine, theirs


def test_register_grading_outcome_and_exports_in_scope(dashboard, store):
    mine, theirs = setup_services(store)
    dashboard.headers.update(bearer(dashboard, "fushi"))
    listed = dashboard.get("/api/services/requests").json()
    assert {r["case_id"] for r in listed} >= {mine} and theirs not in {r["case_id"] for r in listed}
    queues = {q["role"]: q["open"] for q in dashboard.get("/api/services/queues").json()}
    assert queues == {"mediator": 1, "legal_adviser": 1}

    graded = dashboard.post(f"/api/disputes/{mine}/grade", json={
        "reason": "涉及多户", "criteria": ["households"], "dispute_type": "neighbour",
        "parties": [{"resident_key": "a" * 64}, {"private": "楼上302住户"}]})
    assert graded.status_code == 200, graded.text
    assert (graded.json()["colour"], graded.json()["lead"]) == ("yellow", "p-cm-fs")
    regraded = dashboard.post(f"/api/disputes/{mine}/grade", json={"reason": "扬言报复", "criteria": ["violence"]})
    assert (regraded.json()["colour"], regraded.json()["lead"], regraded.json()["time_limit_days"]) == (
        "red", "p-sec-fs", 3)
    detail = dashboard.get(f"/api/disputes/{mine}").json()
    assert [g["to_colour"] for g in detail["gradings"]] == ["yellow", "red"]
    assert {"private": "楼上302住户"} in detail["parties"]
    assert detail["effective_colour"] == "red" and detail["case"]["level"] in ("blue", "yellow", "red")
    assert detail["last_visit_at"] is None and detail["next_visit_due"]  # the red plan: a visit every day

    assert dashboard.post(f"/api/disputes/{mine}/outcome", json={"outcome": "settled"}).status_code == 409
    settled = dashboard.post(f"/api/disputes/{mine}/outcome",
                             json={"outcome": "settled", "agreement": "晚十点后不装修"})
    assert settled.status_code == 200 and settled.json()["followup_due_at"]
    kpis = dashboard.get("/api/services/kpis").json()
    assert (kpis["disputes"], kpis["settled"], kpis["mediation_success_rate"]) == (1, 1, 1.0)

    csv = dashboard.get("/api/disputes/export?format=csv").content.decode("utf-8-sig")
    reference = detail["case"]["reference"]
    assert reference in csv and "红" in csv and "晚十点后不装修" in csv
    book = load_workbook(io.BytesIO(dashboard.get("/api/disputes/export?format=xlsx&lang=en").content))
    sheet = book.active
    assert sheet["A1"].value == "Reference" and sheet["A2"].value == reference and sheet["C2"].value == "red"
    diary = dashboard.get("/api/visits").json()
    assert len(diary) == 1 and diary[0]["private_note"] == "独居，子女在深圳"
    assert [q["kind"] for q in diary[0]["requests"]] == ["legal"]
    visits_csv = dashboard.get(f"/api/visits/export?format=csv&grid={GRID1}").content.decode("utf-8-sig")
    assert "法律咨询/社区" in visits_csv and "本人" in visits_csv

    # a viewer reads the register without the private text; another community sees none of it
    dashboard.headers.update(bearer(dashboard, "look"))
    seen = dashboard.get(f"/api/disputes/{mine}").json()
    assert {"private": "（仅经办人员可见）"} in seen["parties"] and seen["agreement"] == "（仅经办人员可见）"
    assert dashboard.get("/api/visits").json()[0]["private_note"] == "（仅经办人员可见）"
    assert dashboard.post(f"/api/disputes/{mine}/grade", json={"reason": "x", "criteria": []}).status_code == 403
    dashboard.headers.update(bearer(dashboard, "wanzai"))
    assert dashboard.get(f"/api/disputes/{mine}").status_code == 404
    assert dashboard.post(f"/api/disputes/{mine}/grade", json={"reason": "x", "criteria": []}).status_code == 404
    assert dashboard.get("/api/disputes").json() == [] and dashboard.get("/api/visits").json() == []
    assert dashboard.get(f"/api/visits?grid={GRID1}").status_code == 404
    assert dashboard.put("/api/disputes/plans/red", json={"lead_role": "mediator", "visit_interval_days": 1,
                                                          "time_limit_days": 2}).status_code == 403


def test_only_a_top_level_admin_edits_the_criteria_and_plans(dashboard, store):
    directory = OperatorDirectory(store, clock=store.clock)
    directory.create("fsadm", PASSWORD, role="admin", scope_code=FUSHI)
    directory.create("top", PASSWORD, role="admin", scope_code="440400")
    plan = {"lead_role": "mediator", "informed_roles": ["grid_leader"], "visit_interval_days": 2, "time_limit_days": 4,
            "escalate_to": "street"}
    dashboard.headers.update(bearer(dashboard, "fsadm"))
    assert dashboard.put("/api/disputes/plans/red", json=plan).status_code == 403
    dashboard.headers.update(bearer(dashboard, "top"))
    assert dashboard.put("/api/disputes/plans/red", json=plan).status_code == 200
    assert dashboard.get("/api/disputes/plans").json()["red"]["time_limit_days"] == 4
    criterion = {"colour": "red", "label_zh": "持械", "label_en": "Armed", "enabled": True, "position": 9}
    assert dashboard.put("/api/disputes/criteria/armed", json=criterion).status_code == 200
    colours = {c["id"]: c["colour"] for c in dashboard.get("/api/disputes/criteria").json()}
    assert colours["armed"] == "red" and colours["violence"] == "red"
