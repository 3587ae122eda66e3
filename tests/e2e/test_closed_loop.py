"""The closed loop over a real broker: a kiosk's photo report becomes a case, auto-dispatched (智能派单) to the
grid leader's phone with an informed copy on the kiosk; the phone accepts, arrives and resolves with a photo;
someone else verifies and the case closes with its whole audit trail. And an offline action that the case
outran is refused and answered with the current task."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hub import sample
from hub.cases import CaseService
from hub.cases.dispatch import Dispatcher
from hub.cases.kpis import compute_kpis
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.store.tables import action_outcomes, cases
from terminal.device import Device
from terminal.photos import synthetic_photo

from .conftest import wait_until
from .netcut import CuttableLink

COMMUNITY = "440402004005"
VERIFIER = Person("p-disp-01", "社区调度员", "dispatcher", COMMUNITY, "phone-fs-disp-01")


def setup(hub):
    load_community(hub.store, sample.load_raw())
    with hub.store.write() as conn:  # the sample's staff are all grid-level: add a community dispatcher
        save_people(conn, [VERIFIER])
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    return CaseService(hub.store), grid1, lat, lon


def only_case(store) -> dict | None:
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(cases))]
    return rows[0] if len(rows) == 1 else None


def task_in(device: Device, **expect):
    def find():
        return [t for t in device.tasks() if all(getattr(t.body, k) == v for k, v in expect.items())]
    return wait_until(find, 20, message=f"task {expect} on {device.device_id}")[0]


def test_kiosk_report_to_closed_case(hub, tmp_path):
    service, grid1, lat, lon = setup(hub)
    devices = tmp_path / "devices"
    with Device("kiosk-fs-01", devices / "kiosk", hub.broker_url) as kiosk, \
            Device("phone-fs-lead-01", devices / "phone", hub.broker_url) as phone, \
            Device("phone-fs-disp-01", devices / "verifier", hub.broker_url) as verifier_phone:
        report = kiosk.report(
            "E0101", lat, lon, accuracy_m=5, note="楼下垃圾堆积", photos=[synthetic_photo(1, 640, 480)]
        )
        task = task_in(phone, case_state="dispatched")
        case_id = task.case_id
        assert (task.body.role.value, task.body.why, [a.value for a in task.body.actions]) == (
            "handler",
            "dispatch",
            ["accept", "return"],
        )
        assert task.body.grid_code == grid1.code and report.photos[0].sha256 in task.body.photos
        assert task_in(kiosk, case_id=case_id).body.role.value == "informed"

        phone.act(task, "accept")
        task = task_in(phone, case_state="accepted")
        phone.act(task, "arrive", lat=lat, lon=lon, accuracy_m=6)
        task = task_in(phone, case_state="arrived")
        assert [a.value for a in task.body.actions] == ["resolve", "return"]
        fixed = phone.act(
            task, "resolve", note="已清运", lat=lat, lon=lon, accuracy_m=6, photos=[synthetic_photo(2, 640, 480)]
        )
        check = task_in(verifier_phone, case_state="resolved")
        assert check.body.role.value == "verifier" and [a.value for a in check.body.actions] == ["verify"]
        assert fixed.photos[0].sha256 in check.body.photos
        assert phone.wait_drained(30) and kiosk.wait_drained(30)

        service.transition(case_id, "verify", VERIFIER.id, note="现场已核实")
        service.transition(case_id, "close", VERIFIER.id)
        wait_until(
            lambda: not phone.tasks() and not kiosk.tasks() and not verifier_phone.tasks(),
            20,
            message="every task withdrawn after closing",
        )

    case = service.get(case_id)
    assert (case.state, case.assignee, case.resolver) == ("closed", "p-lead-01", "p-lead-01")
    trail = [(e.transition, e.outcome, e.actor, e.actor_device) for e in service.events(case_id)]
    assert trail == [
        ("report", "applied", "system", "kiosk-fs-01"),
        ("file", "applied", "system", None),
        ("dispatch", "applied", "system", None),
        ("accept", "applied", "p-lead-01", "phone-fs-lead-01"),
        ("arrive", "applied", "p-lead-01", "phone-fs-lead-01"),
        ("resolve", "applied", "p-lead-01", "phone-fs-lead-01"),
        ("verify", "applied", VERIFIER.id, None),
        ("close", "applied", VERIFIER.id, None),
    ]
    resolve = service.events(case_id)[5]
    assert resolve.evidence == [fixed.photos[0].sha256] and resolve.lat == lat
    assert hub.store.get_photo(fixed.photos[0].sha256) is not None  # the evidence itself reached the hub
    assert service.replay(case_id) == case.machine_state
    handler = next(
        d
        for d in Dispatcher(hub.store, service).deliveries(case_id)
        if d.device_id == "phone-fs-lead-01" and d.role == "handler"
    )
    assert handler.accepted_at is not None and handler.withdrawn_at is not None
    wait_until(
        lambda: next(d for d in Dispatcher(hub.store, service).deliveries(case_id) if d.id == handler.id).delivered_at,
        10,
        message="delivery receipt recorded",
    )

    # the evaluation sees it: one case filed in grid 1 today, closed on time, no rework
    now = datetime.now(UTC)
    report = compute_kpis(hub.store, start=now - timedelta(hours=1), end=now + timedelta(minutes=1), now=now)
    [row] = [r for r in report.rows if r.key == grid1.code]
    assert (row.filed, row.closed, row.closure_rate, row.on_time_closure_rate, row.rework_rate) == (1, 1, 1.0, 1.0, 0.0)
    assert row.mean_accept_s is not None and row.mean_accept_s < 60


def test_offline_accept_outrun_by_a_reassignment_is_refused_and_answered(hub, own_broker, tmp_path):
    service, grid1, lat, lon = setup(hub)
    link = CuttableLink(own_broker.host, own_broker.port)
    devices = tmp_path / "devices"
    try:
        with (
            Device("kiosk-fs-01", devices / "kiosk", hub.broker_url) as kiosk,
            Device("phone-fs-lead-01", devices / "phone", link.url, ack_timeout=3) as phone,
        ):
            kiosk.report("E0101", lat, lon, accuracy_m=5, note="垃圾", photos=[synthetic_photo(3, 320, 240)])
            task = task_in(phone, case_state="dispatched")
            link.cut()  # the leader walks into a basement
            offline = phone.act(task, "accept")
            service.transition(task.case_id, "reassign", "p-lead-02", assignee="p-worker-01", reason="网格长联系不上")
            link.restore()
            assert phone.wait_drained(30)
            answer = wait_until(
                lambda: [e for e in phone.inbox() if e.body.get("why") == "action_rejected"],
                20,
                message="the current task sent back after the refused action",
            )[0]
            assert answer.body["withdrawn"] is True and answer.body["case_state"] == "dispatched"
            wait_until(lambda: not phone.tasks(), 10, message="the task gone from the leader's list")
    finally:
        link.close()
    case = service.get(task.case_id)
    assert (case.state, case.assignee) == ("dispatched", "p-worker-01")
    refused = service.events(task.case_id)[-1]
    assert (refused.transition, refused.outcome, refused.actor_device) == ("accept", "rejected", "phone-fs-lead-01")
    with hub.store.engine.connect() as conn:
        outcome = conn.execute(
            sa.select(action_outcomes.c.outcome).where(action_outcomes.c.record_id == offline.id)
        ).scalar()
    assert outcome == "rejected"
