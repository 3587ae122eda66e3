"""An urgent report over a real broker: a kiosk's 紧急 report of a blocked fire lane reaches, within one minute, the
people and devices of every level up to the city (the street's and the district's duty phones, the city command
centre's tablet) as an informed task - measured and printed - while the grid leader gets it to handle; the alarm
shows in GET /api/alarms until an operator acknowledges it."""
from __future__ import annotations

import time

import httpx

from hub import sample
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Person, save_device_bindings, save_people
from terminal.device import Device
from tests.e2e.conftest import wait_until

STREET, DISTRICT, CITY = "440402004", "440402", "440400"
ON_DUTY = [Person("p-street-duty", "街道值班员", "dispatcher", STREET, "phone-street-duty"),
           Person("p-district-duty", "区指挥中心值班员", "supervisor", DISTRICT, "phone-district-duty"),
           Person("p-city-duty", "市指挥中心值班员", "dispatcher", CITY)]
CITY_TABLET = "tablet-city-centre"  # the city command centre's own terminal: bound to the city, no owner


def test_an_urgent_report_reaches_every_level_up_to_the_city_within_a_minute(hub, tmp_path, sign_in):
    load_community(hub.store, sample.load_raw())
    with hub.store.write() as conn:
        save_people(conn, ON_DUTY)
        save_device_bindings(conn, [DeviceBinding(CITY_TABLET, "tablet", CITY),
                                    DeviceBinding("phone-street-duty", "phone", STREET, "p-street-duty"),
                                    DeviceBinding("phone-district-duty", "phone", DISTRICT, "p-district-duty")])
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    devices = tmp_path / "devices"
    informed = {"phone-street-duty": None, "phone-district-duty": None, CITY_TABLET: None}
    with Device("kiosk-fs-01", devices / "kiosk", hub.broker_url) as kiosk, \
            Device("phone-fs-lead-01", devices / "leader", hub.broker_url) as leader, \
            Device("phone-street-duty", devices / "street", hub.broker_url) as street, \
            Device("phone-district-duty", devices / "district", hub.broker_url) as district, \
            Device(CITY_TABLET, devices / "city", hub.broker_url) as city:
        for device in (kiosk, leader, street, district, city):
            assert device.wait_connected(20), device.device_id
        started = time.monotonic()
        kiosk.report("E0504", lat, lon, accuracy_m=5, note="消防通道被私家车堵死", severity="urgent")

        def arrived() -> bool:
            for device in (street, district, city):
                if informed[device.device_id] is None and device.tasks():
                    informed[device.device_id] = time.monotonic() - started
            return all(v is not None for v in informed.values())

        wait_until(arrived, 60, interval=0.05, message="informed tasks on the street, district and city devices")
        slowest = max(v for v in informed.values() if v is not None)
        print("urgent report → informed tasks: " + ", ".join(f"{d} {s:.2f}s" for d, s in informed.items()))
        assert slowest < 60
        tasks = {d.device_id: d.tasks()[0] for d in (street, district, city)}
        case_id = tasks[CITY_TABLET].case_id
        for device_id, task in tasks.items():
            assert task.case_id == case_id and task.body.role.value == "informed", device_id
            assert task.body.level == "red" and task.body.actions == [], device_id
        handler = wait_until(lambda: [t for t in leader.tasks() if t.case_id == case_id], 30,
                             message="the grid leader's task")[0]
        assert handler.body.role.value == "handler" and handler.body.level == "red"

    with httpx.Client(base_url=hub.base_url, timeout=10) as client:
        sign_in(client, hub.store, role="dispatcher", scope=CITY, person="p-city-duty")
        [alarm] = client.get("/api/alarms").json()
        assert (alarm["case_id"], alarm["level"], alarm["grid_code"]) == (case_id, "red", grid1.code)
        assert alarm["category_zh"] == "消防通道堵塞" and alarm["reference"].startswith("FS-")
        case = client.get(f"/api/cases/{case_id}").json()
        assert (case["severity"], case["escalation"]["level"]) == ("urgent", "city")
        assert client.get("/api/alarms").json() == [alarm]  # it stays until someone acknowledges it
        acked = client.post(f"/api/cases/{case_id}/alarm/ack")
        assert acked.status_code == 200 and acked.json()["alarm_acked_at"] is not None
        assert client.get("/api/alarms").json() == []
