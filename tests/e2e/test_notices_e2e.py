"""居务公开 end to end over a real broker: the control room publishes a notice to the community through the HTTP API;
both running kiosks receive it as a ``bulletin`` downlink and list it on their notices screen (the presenter the
screen calls), which reports it shown; a kiosk bound to the community afterwards gets it too; an amendment replaces
the old version on every kiosk; a withdrawal takes it off them. At each step the dashboard's counts (GET
/api/notices) are what the kiosks did: queued for the community's kiosks, delivered and shown by the running ones."""
from __future__ import annotations

import time

import httpx

from hub import sample
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, save_device_bindings
from terminal.app.context import TerminalContext

from .conftest import wait_until
from .test_kiosk_lookup import kiosk

FUSHI, GRID3 = "440402004005", "440402004005003"
SAMPLE_KIOSKS = 5  # the sample community's kiosks, one per grid; two of them run here


def titles(ctx: TerminalContext) -> list[str]:
    """What the kiosk's notices screen lists now (and, as the screen does, reports the bulletins shown)."""
    return [item.title for item in ctx.notices.show()]


def inbox_states(ctx: TerminalContext, notice_id: str) -> dict[int, str]:
    """version → this kiosk's inbox state of the publication of that version (delivered | read)."""
    found = {}
    for entry in ctx.device.store.inbox():
        if entry.kind == "bulletin" and entry.body["notice_id"] == notice_id and not entry.body["withdrawn"]:
            found[entry.body["version"]] = entry.state
    return found


def counts(http: httpx.Client, notice_id: str) -> dict[str, int]:
    return http.get(f"/api/notices/{notice_id}").json()["counts"]


def test_a_notice_reaches_kiosks_is_shown_amended_and_withdrawn(hub, tmp_path, sign_in):
    load_community(hub.store, sample.load_raw())
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    kiosks = [kiosk(tmp_path, f"kiosk-fs-0{n}", hub.broker_url, lat, lon) for n in (1, 2)]
    late: TerminalContext | None = None
    try:
        for ctx in kiosks:
            assert ctx.device.wait_connected(20), ctx.device.device_id
        with httpx.Client(base_url=hub.base_url, timeout=10) as http:
            sign_in(http, hub.store, role="dispatcher", scope=FUSHI)
            started = time.monotonic()
            created = http.post("/api/notices", json={
                "title": "居委会换届选举结果公告", "text": "第十二届居民委员会成员名单如下……", "category": "affairs",
                "target_code": FUSHI, "pinned": True})
            assert created.status_code == 201, created.text
            notice = created.json()
            for ctx in kiosks:
                wait_until(lambda c=ctx: titles(c) == ["居委会换届选举结果公告"], 20,
                           message=f"the notice on {ctx.device.device_id}'s screen")
            print(f"publish → on both kiosks' screens: {time.monotonic() - started:.2f}s")
            wait_until(lambda: counts(http, notice["id"]) == {"kiosks": SAMPLE_KIOSKS, "delivered": 2, "shown": 2},
                       20, message="2 delivered, 2 shown in the dashboard")
            print(f"publish → dashboard counts 5 kiosks · 2 delivered · 2 shown: {time.monotonic() - started:.2f}s")
            [item] = kiosks[0].notices.items()
            assert item.pinned and item.category_text == "居务公开"

            # a kiosk bound to the community afterwards, while the notice is live: the job serves it
            with hub.store.write() as conn:
                save_device_bindings(conn, [DeviceBinding("kiosk-fs-06", "kiosk", GRID3)])
            late = kiosk(tmp_path, "kiosk-fs-06", hub.broker_url, lat, lon)
            assert late.device.wait_connected(20)
            bound = time.monotonic()
            wait_until(lambda: titles(late) == ["居委会换届选举结果公告"], 30, message="the notice on the late kiosk")
            print(f"bound later → on its screen: {time.monotonic() - bound:.2f}s")
            kiosks.append(late)
            wait_until(lambda: counts(http, notice["id"]) == {"kiosks": 6, "delivered": 3, "shown": 3}, 20,
                       message="the late kiosk counted")

            # amend: version 2 under the same id replaces version 1 on every kiosk
            amended = http.put(f"/api/notices/{notice['id']}", json={
                "title": "居委会换届选举结果公告（更正）", "text": "更正：第十二届居民委员会成员名单……",
                "category": "affairs", "target_code": FUSHI, "pinned": True, "expected_version": 1})
            assert amended.status_code == 200, amended.text
            assert amended.json()["version"] == 2
            for ctx in kiosks:
                wait_until(lambda c=ctx: titles(c) == ["居委会换届选举结果公告（更正）"], 20,
                           message=f"version 2 on {ctx.device.device_id}")
            wait_until(lambda: counts(http, notice["id"]) == {"kiosks": 6, "delivered": 3, "shown": 3}, 20,
                       message="version 2 counted")
            for ctx in kiosks:  # what the dashboard counts is what each kiosk holds: both versions, both shown
                assert inbox_states(ctx, notice["id"]) == {1: "read", 2: "read"}, ctx.device.device_id
            detail = http.get(f"/api/notices/{notice['id']}").json()
            shown_v2 = {d["device_id"] for d in detail["deliveries"]
                        if d["version"] == 2 and d["action"] == "publish" and d["shown_at"]}
            assert shown_v2 == {ctx.device.device_id for ctx in kiosks}

            # withdraw: off every kiosk, out of the live list, kept in the history with both versions
            withdrawn = http.post(f"/api/notices/{notice['id']}/withdraw")
            assert withdrawn.status_code == 200, withdrawn.text
            for ctx in kiosks:
                wait_until(lambda c=ctx: titles(c) == [], 20, message=f"withdrawn from {ctx.device.device_id}")
            assert http.get("/api/notices").json() == []
            [old] = http.get("/api/notices", params={"state": "history"}).json()
            assert old["state"] == "withdrawn" and old["version"] == 2
            taken_back = {d["device_id"] for d in http.get(f"/api/notices/{notice['id']}").json()["deliveries"]
                          if d["action"] == "withdraw" and d["delivered_at"]}
            wait_until(lambda: {d["device_id"] for d in http.get(f"/api/notices/{notice['id']}").json()["deliveries"]
                                if d["action"] == "withdraw" and d["delivered_at"]}
                       == {ctx.device.device_id for ctx in kiosks}, 20, message="the withdrawals confirmed")
            assert taken_back <= {ctx.device.device_id for ctx in kiosks}
    finally:
        for ctx in kiosks:
            ctx.stop()
        if late is not None and late not in kiosks:
            late.stop()
