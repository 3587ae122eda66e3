"""Disputes (矛盾纠纷): the assessment sets the seriousness colour, the colour's plan sets the lead, the time limit
and who is informed; re-grading yellow → red changes all three and is logged with its reason; escalation follows the
higher of the seriousness and the deadline colour; a settlement schedules the 30-day follow-up visit."""
from __future__ import annotations

from datetime import timedelta

import pytest

from hub import sample
from hub.cases import CaseService
from hub.cases import repo as case_repo
from hub.cases.recipients import recipients
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.org.taxonomy import install_taxonomy
from hub.services import repo
from hub.services.desk import ServiceDesk
from hub.services.disputes import DisputeRefused, DisputeService, colour_of
from protocol import uuid7

COMMUNITY, STREET, GRID1 = "440402004005", "440402004", "440402004005001"
DISPATCHER = "p-fs-duty-01"
PEOPLE = [Person("p-sec-01", "社区书记", "community_secretary", COMMUNITY, "phone-fs-sec-01"),
          Person("p-cm-01", "两委委员", "committee_member", COMMUNITY, "phone-fs-cm-01"),
          Person("p-med-01", "调解员", "mediator", COMMUNITY, "phone-fs-med-01"),
          Person("p-street-01", "街道综治干部", "street_staff", STREET, "phone-qs-street-01")]
PARTIES = [{"resident_key": "a" * 64}, {"private": "楼上住户（姓名见调解卷宗）"}]


@pytest.fixture
def world(store, clock):
    load_community(store, sample.load_raw(), clock=clock)
    install_taxonomy(store)
    with store.write() as conn:
        save_people(conn, PEOPLE)
    cases = CaseService(store, clock=clock)
    return store, cases, ServiceDesk(store, cases), DisputeService(store, cases)


def mediation_case(desk: ServiceDesk) -> str:
    opened = desk.open_request("mediation", source_id=uuid7(), origin="api", unit_code=GRID1, note="楼上漏水纠纷")
    assert opened.case.state == "dispatched" and opened.case.assignee == "p-med-01"
    return opened.case.id


def informed_devices(store, cases: CaseService, case_id: str) -> dict[str, str]:
    with store.read() as conn:
        case = case_repo.case(conn, case_id)
        return {d: r.role for d, r in recipients(conn, case, cases.category(case.category_code)).items()}


def test_the_colour_is_the_highest_enabled_criterion(world):
    _, _, _, disputes = world
    criteria = disputes.criteria()
    assert colour_of([], criteria) == "blue"
    assert colour_of(["ordinary", "households"], criteria) == "yellow"
    assert colour_of(["households", "violence"], criteria) == "red"
    violence = next(c for c in criteria if c.id == "violence")
    disputes.save_criterion(violence.__class__(**{**{f: getattr(violence, f) for f in violence.__slots__},
                                                  "enabled": False}))
    assert colour_of(["households", "violence"], disputes.criteria()) == "yellow"  # admin data, not code


def test_regrading_yellow_to_red_changes_lead_time_limit_and_informed(world):
    store, cases, desk, disputes = world
    case_id = mediation_case(desk)
    filed = cases.get(case_id).filed_at

    yellow = disputes.grade(case_id, actor=DISPATCHER, reason="涉及三户", criteria=["households"],
                            dispute_type="neighbour", parties=PARTIES)
    assert (yellow.dispute.colour, yellow.dispute.lead, yellow.dispute.time_limit_days) == ("yellow", "p-cm-01", 7)
    assert yellow.case.assignee == "p-cm-01" and yellow.case.state == "dispatched"
    assert yellow.case.deadline == cases.calendar.deadline_with_suspensions(filed, days=7)
    assert set(yellow.dispute.informed) == {"p-med-01", "p-lead-01"}
    devices = informed_devices(store, cases, case_id)
    assert devices["phone-fs-cm-01"] == "handler"
    assert devices["phone-fs-med-01"] == "informed" and "phone-qs-street-01" not in devices

    red = disputes.grade(case_id, actor=DISPATCHER, reason="一方扬言报复", criteria=["households", "violence"])
    assert (red.dispute.colour, red.dispute.lead, red.dispute.time_limit_days) == ("red", "p-sec-01", 3)
    assert red.case.assignee == "p-sec-01"
    assert red.case.deadline == cases.calendar.deadline_with_suspensions(filed, days=3) < yellow.case.deadline
    assert set(red.informed_added) == {"p-street-01", "p-fs-super-01"}
    devices = informed_devices(store, cases, case_id)
    assert devices["phone-fs-sec-01"] == "handler"
    assert devices["phone-qs-street-01"] == "informed" and devices["phone-fs-super-01"] == "informed"
    assert "phone-fs-cm-01" not in devices  # the yellow lead's task is withdrawn

    assert [(g.from_colour, g.to_colour, g.reason, g.actor) for g in disputes.gradings(case_id)] == [
        (None, "yellow", "涉及三户", DISPATCHER), ("yellow", "red", "一方扬言报复", DISPATCHER)]
    reassigns = [e for e in cases.events(case_id) if e.transition == "reassign"]
    assert [e.assignee for e in reassigns] == ["p-cm-01", "p-sec-01"]
    assert "一方扬言报复" in reassigns[-1].reason
    with pytest.raises(DisputeRefused):
        disputes.grade(case_id, actor=DISPATCHER, reason="  ", criteria=["ordinary"])


@pytest.mark.parametrize(("criteria", "deadline_colour", "reached"), [
    (["ordinary"], "blue", None),
    (["households"], "blue", "community"),  # seriousness yellow
    (["ordinary"], "red", "street"),  # deadline red, seriousness blue: the red plan
    (["violence"], "blue", "street"),  # seriousness red, deadline blue: the red plan
    (["households"], "red", "street"),  # the higher of yellow and red
])
def test_escalation_follows_the_higher_colour(world, criteria, deadline_colour, reached):
    store, cases, desk, disputes = world
    case_id = mediation_case(desk)
    disputes.grade(case_id, actor=DISPATCHER, reason="研判", criteria=criteria, dispute_type="neighbour",
                   parties=PARTIES)
    with store.write() as conn:
        case_repo.set_level(conn, case_id, deadline_colour)
    escalated = disputes.escalate_by_plan()
    assert escalated == ([(case_id, reached)] if reached else [])
    assert cases.get(case_id).escalation_level == reached
    assert disputes.escalate_by_plan() == []  # once


def test_a_settlement_schedules_the_30_day_followup(world, clock):
    store, _, desk, disputes = world
    case_id = mediation_case(desk)
    disputes.grade(case_id, actor=DISPATCHER, reason="一般纠纷", criteria=["ordinary"], dispute_type="neighbour",
                   parties=PARTIES)
    with pytest.raises(DisputeRefused):
        disputes.record_outcome(case_id, "settled", by="p-med-01")  # needs the agreement
    settled = disputes.record_outcome(case_id, "settled", agreement="楼上负责修复防水层", by="p-med-01")
    assert settled.followup_due_at == clock() + timedelta(days=30)
    with store.read() as conn:
        assert repo.request(conn, case_id).outcome == "settled"
    assert disputes.followup_done(case_id).followup_done_at == clock()
    other = mediation_case(desk)
    disputes.grade(other, actor=DISPATCHER, reason="一般纠纷", criteria=["ordinary"], dispute_type="family",
                   parties=PARTIES)
    assert disputes.record_outcome(other, "withdrawn", by="p-med-01").followup_due_at is None
