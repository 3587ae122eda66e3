"""Community services over a real broker (issue 18).

1. A resident taps their card at the kiosk and picks 矛盾调解: the hub opens a service case routed to the mediator of
   the kiosk's community, the task reaches the mediator's phone, the kiosk shows the case reference; the mediator
   accepts, arrives and resolves with a note and photo, the outcome 调解成功 is recorded, the control room verifies
   and closes, and the follow-up (回访) is scheduled for the resident's card.
2. A grid worker records a home visit with two needs on the phone: two service cases in two queues (the
   community's legal adviser, the grid's property contact), both linked to the one visit.
Kiosks driven through the presenters their buttons call (TerminalContext)."""
from __future__ import annotations

import time

import pytest

from hub import sample
from hub.cases import CaseService
from hub.followup import repo as followup_repo
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.process.runner import HubRunner
from hub.services import repo as services_repo
from hub.services.desk import ServiceDesk
from hub.settings import HubSettings
from protocol import CheckinKind
from terminal.app.config import parse_config
from terminal.app.context import TerminalContext
from terminal.app.presenters.service_receipt import ServiceReceipt
from terminal.device import Device
from terminal.photos import synthetic_photo

from .conftest import wait_until

COMMUNITY = "440402004005"
GRID1 = "440402004005001"
PEOPLE = [Person("p-disp-01", "社区调度员", "dispatcher", COMMUNITY, "phone-fs-disp-01"),
          Person("p-med-01", "调解员黄", "mediator", COMMUNITY, "phone-fs-med-01"),
          Person("p-legal-01", "法律顾问林", "legal_adviser", COMMUNITY, "phone-fs-legal-01"),
          Person("p-prop-01", "物业联系人马", "property_contact", GRID1, "phone-fs-prop-01")]
CARD = "440402199001011234"


@pytest.fixture
def services_hub(own_broker, tmp_path, unique):
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", downlink_resend_s=2.0,
                                   followup_sweep_s=0.5)).start()
    load_community(runner.store, sample.load_raw())
    with runner.store.write() as conn:
        save_people(conn, PEOPLE)
    yield runner
    runner.stop()


def kiosk(tmp_path, device_id: str, broker_url: str, lat: float, lon: float) -> TerminalContext:
    config = parse_config({"device_id": device_id, "deployment_key": "e2e-deployment-key-0001", "broker": broker_url,
                           "data_dir": str(tmp_path / device_id), "language": "zh",
                           "grid": {"code": GRID1, "name": "福石社区"},
                           "position": {"kind": "fixed", "lat": lat, "lon": lon, "accuracy_m": 5.0},
                           "camera": {"kind": "synthetic"}})
    return TerminalContext(config, "kiosk").start()


def test_a_mediation_checkin_reaches_the_mediator_and_closes_the_loop(services_hub, tmp_path):
    hub = services_hub
    service = CaseService(hub.store)
    lon, lat = next(g for g in sample.grids() if g.code == GRID1).centre()
    ctx = kiosk(tmp_path, "kiosk-fs-01", hub.broker_url, lat, lon)
    try:
        with Device("phone-fs-med-01", tmp_path / "phone", hub.broker_url) as phone:
            for device in (ctx.device, phone):
                assert device.wait_connected(20), device.device_id
            flow = ctx.checkin
            assert flow is not None and flow.type_card(CARD)
            key = flow.resident_key
            flow.choose_kind(CheckinKind.SERVICE_MEDIATION)
            flow.set_note("楼上漏水，与邻居协商不成")
            tapped = time.monotonic()
            checkin = flow.submit()
            receipt = ServiceReceipt(ctx.device, ctx.tr)
            assert receipt.show(checkin)
            assert receipt.text() == f"已受理，回执码 {checkin.id[-6:]}；案件编号将在平台受理后显示"

            task = wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "dispatched"], 30,
                              message="the mediator's task")[0]
            print(f"check-in → task on the mediator's phone: {time.monotonic() - tapped:.2f}s")
            case_id = task.case_id
            case = service.get(case_id)
            assert (case.category_code, case.assignee, case.grid_code, case.community_code) == (
                "E0601", "p-med-01", GRID1, COMMUNITY)
            assert task.body.reference == case.reference and task.body.role.value == "handler"
            with hub.store.read() as conn:
                request = services_repo.request(conn, case_id)
            assert request is not None
            assert (request.kind, request.origin, request.routed_role, request.routed_to, request.resident_key) == (
                "mediation", "kiosk", "mediator", "p-med-01", key)

            wait_until(lambda: receipt.poll() or receipt.reference, 30, interval=0.3, message="the kiosk's reference")
            assert receipt.reference == case.reference
            assert receipt.text() == f"已受理，案件编号 {case.reference}，可凭此查进度"

            phone.act(task, "accept")
            task = wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "accepted"], 20,
                              message="accepted")[0]
            phone.act(task, "arrive", lat=lat, lon=lon, accuracy_m=6)
            task = wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "arrived"], 20,
                              message="arrived")[0]
            phone.act(task, "resolve", note="双方达成调解协议，楼上负责维修", lat=lat, lon=lon, accuracy_m=6,
                      photos=[synthetic_photo(5, 640, 480)])
            wait_until(lambda: service.get(case_id).state == "resolved", 30, message="resolved at the hub")
            ServiceDesk(hub.store, service).record_outcome(case_id, "settled", "p-med-01")
            service.transition(case_id, "verify", "p-disp-01", note="电话回访双方确认")
            service.transition(case_id, "close", "p-disp-01")

            def scheduled():
                with hub.store.read() as conn:
                    return followup_repo.latest(conn, case_id)

            followup = wait_until(scheduled, 30, message="the follow-up scheduled")
            assert followup.resident_key == key and followup.state == "pending"
            with hub.store.read() as conn:
                assert services_repo.request(conn, case_id).outcome == "settled"
            wait_until(lambda: not [t for t in phone.tasks() if t.case_id == case_id], 30,
                       message="the task withdrawn from the phone once closed")
    finally:
        ctx.stop()


def test_a_home_visit_with_two_needs_opens_two_cases_in_two_queues(services_hub, tmp_path):
    hub = services_hub
    service = CaseService(hub.store)
    with Device("phone-fs-worker-01", tmp_path / "worker", hub.broker_url) as worker, \
            Device("phone-fs-legal-01", tmp_path / "legal", hub.broker_url) as legal, \
            Device("phone-fs-prop-01", tmp_path / "prop", hub.broker_url) as prop:
        for device in (worker, legal, prop):
            assert device.wait_connected(20), device.device_id
        saved = time.monotonic()
        visit = worker.visit([("legal", "community"), ("repair", "grid")], grid_code=GRID1, met="family",
                             household_key="4a" * 32, private_note="老人行动不便，子女在外地")
        legal_task = wait_until(lambda: legal.tasks(), 30, message="the legal adviser's task")[0]
        prop_task = wait_until(lambda: prop.tasks(), 30, message="the property contact's task")[0]
        print(f"visit saved → tasks on both phones: {time.monotonic() - saved:.2f}s")
        assert legal_task.case_id != prop_task.case_id
        with hub.store.read() as conn:
            stored = services_repo.visit(conn, visit.id)
            linked = services_repo.requests_of_visits(conn, [visit.id])[visit.id]
        assert stored is not None and (stored.worker, stored.grid_code, stored.needs, stored.met) == (
            "p-worker-01", GRID1, 2, "family")
        assert {(r.kind, r.need_level, r.routed_to, r.case_id) for r in linked} == {
            ("legal", "community", "p-legal-01", legal_task.case_id),
            ("repair", "grid", "p-prop-01", prop_task.case_id)}
        assert service.get(legal_task.case_id).category_code == "E0704"
        assert service.get(prop_task.case_id).category_code == "E0705"
        assert "老人" not in service.get(legal_task.case_id).note  # the private note stays on the visit
