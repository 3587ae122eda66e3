"""The sample community (the demo's) staffs its community services: from every kiosk a legal, mediation or repair
request reaches a person with a phone (the community's legal adviser and mediator, the grid's property contact) -
only 其他服务 waits for the control room - and every dispute plan's lead and informed roles are there."""
from __future__ import annotations

import pytest

from hub import sample
from hub.cases import CaseService
from hub.cases.recipients import recipients
from hub.org import repo as org_repo
from hub.org.geojson_io import load_community
from hub.org.taxonomy import install_taxonomy
from hub.services.desk import ServiceDesk
from hub.services.disputes import DEFAULT_PLANS, DisputeService
from protocol import uuid7

COMMUNITY = "440402004005"


@pytest.fixture
def desk(store, clock):
    load_community(store, sample.load_raw(), clock=clock)
    install_taxonomy(store)
    return ServiceDesk(store, CaseService(store, clock=clock))


def test_every_kiosks_service_requests_reach_a_phone(store, desk):
    kiosks = [d for d in sample.devices() if d.kind == "kiosk"]
    assert len(kiosks) == 5
    with store.read() as conn:
        for kiosk in kiosks:
            routes = {kind: desk.route(conn, kiosk.grid, kind) for kind in ("legal", "mediation", "repair", "other")}
            assert (routes["legal"].person, routes["legal"].unit_code) == ("p-legal-01", COMMUNITY)
            assert (routes["mediation"].person, routes["mediation"].unit_code) == ("p-med-01", COMMUNITY)
            assert routes["repair"].role == "property_contact" and routes["repair"].unit_code == kiosk.grid
            assert routes["other"].person is None  # 其他服务: the control room dispatches it
            people = [r.person for r in routes.values() if r.person]
            phones = org_repo.phones_of(conn, people)
            assert all(phones[p] for p in people), phones
    opened = desk.open_request("repair", source_id=uuid7(), origin="kiosk", unit_code="440402004005005",
                               note="商铺门口下水道堵塞")
    assert (opened.case.state, opened.case.assignee) == ("dispatched", "p-prop-05")
    with store.read() as conn:
        devices = {d: r.role for d, r in recipients(conn, opened.case, desk.cases.category("E0705")).items()}
    assert devices["phone-fs-prop-05"] == "handler"


def test_every_dispute_plan_has_its_people(store, desk):
    mediation = desk.open_request("mediation", source_id=uuid7(), origin="kiosk", unit_code="440402004005002",
                                  note="邻里噪音纠纷").case.id
    disputes = DisputeService(store, desk.cases)
    leads = {"blue": ["ordinary"], "yellow": ["households"], "red": ["violence"]}
    plans = {p.colour: p for p in DEFAULT_PLANS}
    found = {}
    for colour in ("blue", "yellow", "red"):
        graded = disputes.grade(mediation, actor="p-fs-duty-01", reason="研判", criteria=leads[colour],
                                dispute_type="neighbour", parties=[{"private": "二楼住户"}])
        assert graded.dispute.colour == colour and graded.dispute.lead is not None, colour
        with store.read() as conn:
            roles = org_repo.person_roles(conn, [graded.dispute.lead, *graded.dispute.informed])
        assert roles[graded.dispute.lead] == plans[colour].lead_role
        assert set(plans[colour].informed_roles) <= set(roles.values()), (colour, roles)
        found[colour] = graded.dispute.lead
    assert found == {"blue": "p-worker-02", "yellow": "p-cm-fs", "red": "p-sec-fs"}
