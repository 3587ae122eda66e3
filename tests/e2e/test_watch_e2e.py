"""1+1+N watch end to end over a real broker: a helper's phone, offline all day, records 平安 for resident A at
08:00 and syncs at 20:00 - the day is settled by that observation (no case); resident B has no evidence by the
21:00 deadline - one welfare case, dispatched as a task to the helper's phone. Hub and devices share a shifted
clock (real time moved to a Monday in Shanghai) so the deadline is crossed without sleeping."""
from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa

from hub import sample
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, save_device_bindings
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from hub.store.tables import cases, records
from terminal.device import Device
from terminal.residents import resident_key

from .conftest import wait_until
from .test_welfare_e2e import CARD_A, CARD_B, DEPLOYMENT_KEY, GRID1, SH, ShiftedClock


def test_offline_safe_synced_at_night_settles_the_day_and_no_evidence_makes_a_case(own_broker, tmp_path, unique,
                                                                                   sign_in):
    clock = ShiftedClock(datetime(2024, 6, 2, 12, 0, tzinfo=SH))  # Sunday noon: enrolment day
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", downlink_resend_s=2.0), clock=clock).start()
    helper_phone = f"phone-helper-{unique}"
    try:
        store = runner.store
        load_community(store, sample.load_raw())
        with store.write() as conn:
            save_device_bindings(conn, [DeviceBinding(helper_phone, "phone", GRID1, "p-patrol-01")])
        key_a, key_b = (resident_key(card, DEPLOYMENT_KEY) for card in (CARD_A, CARD_B))
        runner.app.state.operators = OperatorDirectory(store, clock=clock, session_ttl=timedelta(days=7))
        with httpx.Client(base_url=runner.base_url, timeout=10) as http:
            sign_in(http, store, role="dispatcher", person="p-worker-01")
            for key, label in ((key_a, "3栋2单元 独居老人A"), (key_b, "6栋1单元 独居老人B")):
                created = http.post("/api/welfare/enrolments", json={
                    "resident_key": key, "label": label, "grid_code": GRID1, "window_start": "07:00",
                    "window_end": "10:00", "deadline": "21:00", "primary_helper": "p-patrol-01"})
                assert created.status_code == 201, created.text
            watch = runner.app.state.jobs.handle("welfare")

            phone = Device(helper_phone, tmp_path / "phone", runner.broker_url, clock=clock)  # not started: offline
            try:
                clock.jump_to(datetime(2024, 6, 3, 8, 0, tzinfo=SH))  # Monday 08:00: 白看窗帘
                look = phone.observe(key_a, "safe", signs=["curtains", "water"])
                clock.jump_to(datetime(2024, 6, 3, 12, 0, tzinfo=SH))
                watch.run_once()
                day = http.get("/api/welfare/checks", params={"under": GRID1}).json()
                assert {i["status"] for i in day["items"]} == {"pending"}  # nothing has reached the hub

                clock.jump_to(datetime(2024, 6, 3, 20, 0, tzinfo=SH))  # back in signal: the outbox drains
                phone.start()
                assert phone.wait_drained(30)
                listed = wait_until(lambda: [e for e in phone.inbox() if e.kind == "watchlist"], 30,
                                    message="today's watch list on the helper's phone")
                assert listed[-1].body["day"] == "2024-06-03"
                assert {i["resident_key"] for i in listed[-1].body["items"]} == {key_a, key_b}
                with store.engine.connect() as conn:
                    row = conn.execute(sa.select(records.c.device_time, records.c.received_at)
                                       .where(records.c.id == look.id)).one()
                assert row.received_at - row.device_time >= timedelta(hours=12)

                clock.jump_to(datetime(2024, 6, 3, 21, 11, tzinfo=SH))  # deadline 21:00 + grace
                watch.run_once()
                watch.run_once()  # a second pass changes nothing
                day = http.get("/api/welfare/checks", params={"under": GRID1}).json()
                by_key = {i["resident_key"]: i for i in day["items"]}
                settled = by_key[key_a]
                assert settled["status"] == "checked_in" and settled["judged"] and settled["case_id"] is None
                assert settled["settled_by"] == "observation" and settled["checkin_record_id"] == look.id
                assert settled["evidence"][0]["signs"] == ["curtains", "water"]
                missed = by_key[key_b]
                assert missed["status"] == "missed" and missed["case_assignee"] == "p-patrol-01"
                with store.engine.connect() as conn:
                    assert conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one() == 1
                task = wait_until(lambda: next((t for t in phone.tasks() if t.case_id == missed["case_id"]), None),
                                  30, message="the welfare task on the helper's phone")
                assert task.body.category == "E0703" and "独居老人B" in task.body.title
            finally:
                phone.stop()
    finally:
        runner.stop()
