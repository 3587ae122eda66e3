"""Welfare watch end to end over a real broker: a kiosk checks one enrolled resident in by card (hashed on
the kiosk), another resident misses the window → one welfare case, dispatched as a task to the paired
helper's phone; the latecomer's check-in then settles the case. Hub and devices share a shifted clock
(real time moved to a Monday morning in Shanghai) so windows are crossed without sleeping."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from hub import sample
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, save_device_bindings
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from hub.store.tables import cases, records, welfare_checks
from terminal.device import Device
from terminal.residents import resident_key

from .conftest import wait_until

SH = ZoneInfo("Asia/Shanghai")
DEPLOYMENT_KEY = "fushi-e2e-deployment-key-0001"
CARD_A, CARD_B = "440402194503120021", "44040219481105004x"  # the hub only ever sees their HMACs
GRID1 = "440402004005001"


class ShiftedClock:
    """Real time moved by an offset the test can advance: timers elsewhere keep running normally."""

    def __init__(self, start: datetime):
        self._offset = start - datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def jump_to(self, when: datetime) -> None:
        with self._lock:
            self._offset = when - datetime.now(UTC)


def test_missed_checkin_becomes_a_task_on_the_helpers_phone(own_broker, tmp_path, unique, sign_in):
    clock = ShiftedClock(datetime(2024, 6, 2, 12, 0, tzinfo=SH))  # Sunday noon: enrolment day
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", downlink_resend_s=2.0), clock=clock).start()
    helper_phone = f"phone-helper-{unique}"
    try:
        store = runner.store
        load_community(store, sample.load_raw())
        with store.write() as conn:  # the volunteer neighbour carries a phone for 1+1+N tasks
            save_device_bindings(conn, [DeviceBinding(helper_phone, "phone", GRID1, "p-patrol-01")])
        key_a, key_b = (resident_key(card, DEPLOYMENT_KEY) for card in (CARD_A, CARD_B))
        # The clock jumps a day ahead: a session that outlives it, for the community's grid worker.
        runner.app.state.operators = OperatorDirectory(store, clock=clock, session_ttl=timedelta(days=7))
        with httpx.Client(base_url=runner.base_url, timeout=10) as http:
            sign_in(http, store, role="dispatcher", person="p-worker-01")
            for key, label in ((key_a, "3栋2单元 独居老人A"), (key_b, "6栋1单元 独居老人B")):
                created = http.post("/api/welfare/enrolments", json={
                    "resident_key": key, "label": label, "grid_code": GRID1,
                    "window_start": "07:00", "window_end": "10:00", "primary_helper": "p-patrol-01",
                    "informed": ["p-lead-01"]})
                assert created.status_code == 201, created.text

            with Device(f"kiosk-{unique}", tmp_path / "kiosk", runner.broker_url, deployment_key=DEPLOYMENT_KEY,
                        clock=clock) as kiosk, \
                    Device(helper_phone, tmp_path / "phone", runner.broker_url, clock=clock) as phone:
                clock.jump_to(datetime(2024, 6, 3, 8, 15, tzinfo=SH))  # Monday, inside the window
                made = kiosk.checkin("wellbeing", card_number=CARD_A)
                assert kiosk.wait_drained(30)
                with store.engine.connect() as conn:
                    stored = conn.execute(sa.select(records.c.payload).where(records.c.id == made.id)).scalar_one()
                assert key_a in stored and CARD_A not in stored  # pseudonymous on the wire and at rest

                clock.jump_to(datetime(2024, 6, 3, 10, 11, tzinfo=SH))  # window closed, grace over
                watch = runner.app.state.jobs.handle("welfare")
                watch.run_once()
                watch.run_once()  # a second pass (or hub worker) changes nothing

                day = http.get("/api/welfare/checks", params={"under": GRID1}).json()
                by_key = {i["resident_key"]: i for i in day["items"]}
                assert by_key[key_a]["status"] == "checked_in" and by_key[key_a]["checkin_record_id"] == made.id
                missed = by_key[key_b]
                assert missed["status"] == "missed" and missed["judged"]
                assert (missed["case_state"], missed["case_assignee"]) == ("dispatched", "p-patrol-01")
                with store.engine.connect() as conn:
                    assert conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one() == 1
                    assert conn.execute(sa.select(sa.func.count()).select_from(welfare_checks)).scalar_one() == 2

                task = wait_until(lambda: next((t for t in phone.tasks() if t.case_id == missed["case_id"]), None),
                                  30, message="the welfare task on the helper's phone")
                assert task.body.category == "E0703" and task.body.role.value == "handler"
                assert "独居老人B" in task.body.title and key_b not in task.body.note

                # B checks in after all: the hub notes it and, nobody having accepted yet, settles the case.
                clock.jump_to(datetime(2024, 6, 3, 10, 40, tzinfo=SH))
                late = kiosk.checkin("wellbeing", card_number=CARD_B)
                assert kiosk.wait_drained(30)
                watch.run_once()
                case = http.get(f"/api/cases/{missed['case_id']}").json()
                assert case["state"] == "resolved", case
                again = http.get("/api/welfare/checks", params={"under": GRID1}).json()
                assert {i["resident_key"]: i for i in again["items"]}[key_b]["late_record_id"] == late.id
    finally:
        runner.stop()
