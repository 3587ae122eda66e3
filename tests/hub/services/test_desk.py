"""Service requests: a kiosk's service check-in becomes a service case routed to the role configured for the
kiosk's unit (nearest unit's setting, else the default), to the control room when nobody has that role; a wellbeing
check-in opens nothing; taking a check-in twice opens one case."""
from __future__ import annotations

import itertools

import pytest

from hub import sample
from hub.cases import CaseService
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.org.taxonomy import install_taxonomy
from hub.services import repo
from hub.services.desk import ServiceDesk, ServiceRefused
from protocol import ResidentCheckin, encode, uplink_topic_for, uuid7

COMMUNITY, GRID1 = "440402004005", "440402004005001"
KEY = "c" * 64
_seq = itertools.count(1)


@pytest.fixture
def world(store, clock):
    load_community(store, sample.load_raw(), clock=clock)
    install_taxonomy(store)
    with store.write() as conn:
        save_people(conn, [Person("p-med-01", "调解员", "mediator", COMMUNITY, "phone-fs-med-01"),
                           Person("p-legal-01", "法律顾问", "legal_adviser", COMMUNITY, "phone-fs-legal-01")])
    cases = CaseService(store, clock=clock)
    return store, clock, cases, ServiceDesk(store, cases)


def checkin(store, clock, kind: str, device: str = "kiosk-fs-01") -> ResidentCheckin:
    msg = ResidentCheckin(id=uuid7(), device_id=device, seq=next(_seq), created_at=clock(), checkin_kind=kind,
                          resident_key=KEY, note="想咨询遗产继承")
    assert ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), clock())], store).stored_records == 1
    return msg


def test_service_checkins_are_routed_by_the_units_setting(world):
    store, clock, cases, desk = world
    legal = checkin(store, clock, "service_legal")
    wellbeing = checkin(store, clock, "wellbeing")
    other = checkin(store, clock, "service_other")
    repair = checkin(store, clock, "service_repair")
    assert desk.run_once() == 4
    assert desk.run_once() == 0  # each looked at once
    with store.read() as conn:
        by_source = {r.source_id: r for r in repo.requests_in(conn, None)}
    assert wellbeing.id not in by_source
    legal_case = cases.get(by_source[legal.id].case_id)
    assert (legal_case.state, legal_case.assignee, legal_case.category_code, legal_case.receipt_code) == (
        "dispatched", "p-legal-01", "E0704", legal.id[-6:])
    assert legal_case.note == "想咨询遗产继承" and legal_case.source == "device"
    assert legal_case.public_note == "法律咨询服务请求 / Legal consultation request"  # Open311 never shows the words
    # other: the control room by default; repair: the grid's property contact (the sample's 福石花园 one)
    assert (by_source[other.id].routed_role, by_source[other.id].routed_to) == (None, None)
    assert cases.get(by_source[other.id].case_id).state == "filed"
    repair_case = cases.get(by_source[repair.id].case_id)
    assert (by_source[repair.id].routed_role, by_source[repair.id].routed_to, repair_case.state,
            repair_case.assignee) == ("property_contact", "p-prop-01", "dispatched", "p-prop-01")
    # a role nobody up the chain has → the control room too
    with store.write() as conn:
        repo.set_route(conn, GRID1, "repair", "building_head", clock(), "admin")
    unstaffed = checkin(store, clock, "service_repair")
    desk.run_once()
    with store.read() as conn:
        request = repo.request_by_source(conn, unstaffed.id)
    assert request is not None and (request.routed_role, request.routed_to) == ("building_head", None)
    assert cases.get(request.case_id).state == "filed"

    # the community says: its legal requests go to the mediator (调委会 takes them here)
    with store.write() as conn:
        repo.set_route(conn, COMMUNITY, "legal", "mediator", clock(), "admin")
    again = checkin(store, clock, "service_legal")
    desk.run_once()
    with store.read() as conn:
        routed = repo.request_by_source(conn, again.id)
    assert routed is not None and (routed.routed_role, routed.routed_to) == ("mediator", "p-med-01")
    # a grid's own row beats the community's
    with store.write() as conn:
        repo.set_route(conn, GRID1, "legal", None, clock(), "admin")
    third = checkin(store, clock, "service_legal")
    desk.run_once()
    with store.read() as conn:
        third_request = repo.request_by_source(conn, third.id)
    assert third_request is not None and third_request.routed_to is None


def test_opening_is_idempotent_by_source(world):
    store, clock, cases, desk = world
    record = checkin(store, clock, "service_mediation")
    row = store.get_record(record.id)
    first, second = desk.take_checkin(row), desk.take_checkin(row)
    assert first == second
    with store.read() as conn:
        assert len(repo.requests_in(conn, None)) == 1
    with pytest.raises(ServiceRefused):
        desk.open_request("astrology", source_id=uuid7(), origin="api", unit_code=GRID1)
