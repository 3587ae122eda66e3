"""回访 over a real broker: a resident taps a card and reports at kiosk 1; the grid leader's phone resolves, the
control room verifies and closes; the same card tapped at kiosk 2 brings the prompt "您反映的 … 已办结，您满意吗？";
不满意 with words reopens the case as 返工 (back on the grid leader's phone), the KPIs 回访率 / 满意率 move, and the
prompt disappears from kiosk 1. Kiosks driven through the presenters their buttons call (TerminalContext)."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from hub import sample
from hub.cases import CaseService
from hub.followup.kpis import followup_kpis
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from terminal.app.config import parse_config
from terminal.app.context import TerminalContext
from terminal.app.presenters.followup import held_prompts
from terminal.device import Device
from terminal.photos import synthetic_photo

from .conftest import wait_until

COMMUNITY = "440402004005"
VERIFIER = Person("p-disp-01", "社区调度员", "dispatcher", COMMUNITY, "phone-fs-disp-01")
CARD = "440402199001011234"
WORDS = "井盖还是松的，晚上走过会响"


@pytest.fixture
def followup_hub(own_broker, tmp_path, unique):
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", downlink_resend_s=2.0,
                                   followup_sweep_s=0.5)).start()
    yield runner
    runner.stop()


def kiosk(tmp_path, device_id: str, broker_url: str, lat: float, lon: float) -> TerminalContext:
    config = parse_config({"device_id": device_id, "deployment_key": "e2e-deployment-key-0001", "broker": broker_url,
                           "data_dir": str(tmp_path / device_id), "language": "zh",
                           "grid": {"code": "", "name": "福石社区"},
                           "position": {"kind": "fixed", "lat": lat, "lon": lon, "accuracy_m": 5.0},
                           "camera": {"kind": "synthetic"}})
    return TerminalContext(config, "kiosk").start()


def tap(ctx: TerminalContext) -> str:
    """The resident's card at the kiosk (typed on the pad here; the QR scan gives the same keyed hash)."""
    assert ctx.checkin is not None and ctx.checkin.type_card(CARD)
    assert ctx.checkin.resident_key is not None
    return ctx.checkin.resident_key


def totals(store):
    now = datetime.now(UTC)
    [row] = followup_kpis(store, now - timedelta(hours=1), now + timedelta(minutes=1), now)
    return row


def test_a_card_report_is_followed_up_at_another_kiosk_and_dissatisfied_reopens_it(followup_hub, tmp_path):
    hub = followup_hub
    load_community(hub.store, sample.load_raw())
    with hub.store.write() as conn:
        save_people(conn, [VERIFIER])
    service = CaseService(hub.store)
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    first, second = kiosk(tmp_path, "kiosk-fs-01", hub.broker_url, lat, lon), \
        kiosk(tmp_path, "kiosk-fs-02", hub.broker_url, lat, lon)
    try:
        with Device("phone-fs-lead-01", tmp_path / "phone", hub.broker_url) as phone:
            for device in (first.device, second.device, phone):
                assert device.wait_connected(20), device.device_id
            # kiosk 1: the resident taps their card, nothing to follow up yet, and reports with it
            key = tap(first)
            assert not first.followup.on_card(key)
            first.report.use_card(key)
            assert first.report.capture()
            first.report.choose_category("C0101")
            report = first.report.submit()
            assert report.resident_key == key

            task = wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "dispatched"], 30,
                              message="the grid leader's task")[0]
            case_id = task.case_id
            phone.act(task, "accept")
            task = wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "accepted"], 20,
                              message="accepted")[0]
            phone.act(task, "arrive", lat=lat, lon=lon, accuracy_m=6)
            task = wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "arrived"], 20,
                              message="arrived")[0]
            phone.act(task, "resolve", note="已更换井盖", lat=lat, lon=lon, accuracy_m=6,
                      photos=[synthetic_photo(7, 640, 480)])
            wait_until(lambda: service.get(case_id).state == "resolved", 30, message="resolved at the hub")
            service.transition(case_id, "verify", VERIFIER.id, note="现场已核实")
            service.transition(case_id, "close", VERIFIER.id)
            closed = time.monotonic()
            reference = service.get(case_id).reference

            # kiosk 2: the same card brings the follow-up prompt (both kiosks of the community hold it)
            wait_until(lambda: second.followup.on_card(tap(second)), 30, message="the prompt on kiosk 2")
            print(f"closed → prompt at kiosk 2: {time.monotonic() - closed:.2f}s")
            # each kiosk gets its own downlink: kiosk 1's can land a moment after kiosk 2's
            wait_until(lambda: case_id in held_prompts(first.device), 30, message="the prompt held by kiosk 1 too")
            view = second.followup.view()
            assert view.question == f"您反映的 {reference} 已办结，您满意吗？"
            assert [label for _, label in view.choices] == ["满意", "基本满意", "不满意"]
            before = totals(hub.store)
            assert (before.answered, before.satisfaction_rate) == (0, None)

            second.followup.set_words(WORDS)
            answered = second.followup.answer("dissatisfied")
            assert answered.via == "prompt" and answered.resident_key == key
            assert not second.followup.on_card(key)  # answered here: not asked again
            sent = time.monotonic()
            wait_until(lambda: service.get(case_id).state == "dispatched", 30, message="reopened as 返工")
            print(f"answer at kiosk 2 → case reopened at the hub: {time.monotonic() - sent:.2f}s")
            [reopen] = [e for e in service.events(case_id) if e.transition == "reopen"]
            assert (reopen.actor, reopen.note, reopen.from_state, reopen.to_state) == (
                "system", WORDS, "closed", "dispatched")
            assert service.get(case_id).assignee == "p-lead-01"
            wait_until(lambda: [t for t in phone.tasks() if t.body.case_state == "dispatched"], 30,
                       message="the rework task back on the grid leader's phone")

            after = totals(hub.store)
            assert (after.due, after.answered, after.dissatisfied) == (1, 1, 1)
            assert (after.followup_rate, after.satisfaction_rate) == (1.0, 0.0)

            # kiosk 1: the prompt is withdrawn; the card brings nothing any more
            wait_until(lambda: case_id not in held_prompts(first.device), 30, message="the prompt gone from kiosk 1")
            print(f"answer at kiosk 2 → prompt gone from kiosk 1: {time.monotonic() - sent:.2f}s")
            assert not first.followup.on_card(tap(first))
    finally:
        first.stop()
        second.stop()
