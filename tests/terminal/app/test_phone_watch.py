"""1+1+N on the helper's phone (presenter, no Kivy): the hub's watch list shows today's residents, what still needs
a look first; 平安 / 异常 with the signs chosen become durable observation records (offline: the device is never
started) judged by the phone's clock; yesterday's list shows nothing; a resident not on the list is refused."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from protocol import DownlinkMessage, HelperObservation, WatchItem, WatchList, uuid7
from terminal.app.presenters.common import FlowRefused

KEY_A, KEY_B, KEY_C = "a" * 64, "b" * 64, "c" * 64
TODAY = date(2025, 3, 1)  # the StepClock starts at 2025-03-01 08:00 UTC = 16:00 in Shanghai


def send_list(ctx, day: date, keys=(KEY_A, KEY_B), at: datetime | None = None) -> None:
    items = [WatchItem(enrolment_id=f"e-{k[0]}", resident_key=k, label=f"{i + 3}栋 独居老人{k[0].upper()}",
                       grid_code="440402004005001", window_start="07:00", deadline="21:00")
             for i, k in enumerate(keys)]
    body = WatchList(day=day, items=items)
    now = at or ctx.clock()
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(int(now.timestamp() * 1000)),
                                                    device_id=ctx.device.device_id, kind="watchlist",
                                                    body=body.model_dump(mode="json"), created_at=now))


def outbox(ctx) -> list[HelperObservation]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'observation'").fetchall()
    return [HelperObservation.model_validate_json(p) for (p,) in rows]


def test_the_list_the_taps_and_the_records(make_context, clock):
    ctx = make_context("phone")
    flow = ctx.watch
    assert flow.rows() == [] and flow.summary() == "今天没有需要关注的居民（或名单尚未送达）"
    send_list(ctx, TODAY)
    rows = flow.rows()
    assert [(r.label, r.state, r.state_text) for r in rows] == [("3栋 独居老人A", "todo", "待确认"),
                                                                ("4栋 独居老人B", "todo", "待确认")]
    assert rows[0].times == "07:00 起 · 21:00 前确认" and flow.summary() == "共 2 位，待确认 2 位"
    assert [label for _, label, _ in rows[0].signs] == ["窗帘", "灯光", "用水", "用电", "燃气", "交谈"]

    flow.toggle_sign(KEY_A, "curtains")
    flow.toggle_sign(KEY_A, "water")
    flow.toggle_sign(KEY_A, "lights")
    flow.toggle_sign(KEY_A, "lights")  # tapped twice: off again
    assert [v for v, _, on in flow.rows()[0].signs if on] == ["curtains", "water"]
    safe = flow.observe(KEY_A, "safe")
    assert (safe.verdict.value, [s.value for s in safe.signs], safe.via) == ("safe", ["curtains", "water"], "helper")
    assert safe.created_at == clock.now and flow.message == "已记录平安，联网后自动上传"
    assert ctx.device.store.outbox_state(safe.id) == "pending"  # durable, offline: sent when the phone is online

    clock.advance(600)
    flow.set_note(KEY_B, "  敲门无人应，燃气表在走  ")
    flow.toggle_sign(KEY_B, "gas")
    bad = flow.observe(KEY_B, "abnormal")
    assert bad.note == "敲门无人应，燃气表在走" and flow.message == "已报异常：网格员将立即处理"
    rows = flow.rows()
    assert [(r.resident_key, r.state, r.state_text) for r in rows] == [(KEY_B, "abnormal", "已报异常 16:10"),
                                                                       (KEY_A, "safe", "已报平安 16:00")]
    flow.observe(KEY_B, "safe")  # a later 平安 does not hide the 异常: the hub's case stands until staff close it
    assert flow.rows()[0].state == "abnormal" and flow.summary() == "共 2 位，待确认 0 位"
    assert [o.id for o in outbox(ctx)][:2] == [safe.id, bad.id]


def test_yesterdays_list_and_unknown_residents(make_context, clock):
    ctx = make_context("phone")
    send_list(ctx, TODAY - timedelta(days=1), at=clock.now - timedelta(hours=20))
    assert ctx.watch.rows() == []  # yesterday's list: nothing to watch until today's arrives
    with pytest.raises(FlowRefused):
        ctx.watch.observe(KEY_C, "safe")
    send_list(ctx, TODAY, keys=(KEY_C,))
    assert [r.resident_key for r in ctx.watch.rows()] == [KEY_C]  # the newer list replaces the older
    with pytest.raises(FlowRefused):
        ctx.watch.observe(KEY_A, "safe")
    with pytest.raises(ValueError):
        ctx.watch.toggle_sign(KEY_C, "milk")
    assert outbox(ctx) == []


def test_english_and_midnight(make_context, clock):
    ctx = make_context("phone")
    ctx.tr.set_language("en")
    clock.now = datetime(2025, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    send_list(ctx, TODAY)
    ctx.watch.observe(KEY_A, "safe")
    assert ctx.watch.rows()[1].state_text == "Safe, reported 23:59"
    clock.now += timedelta(minutes=2)  # 00:01 the next local day: yesterday's 平安 is not today's
    send_list(ctx, TODAY + timedelta(days=1))
    assert {r.state for r in ctx.watch.rows()} == {"todo"}
    assert ctx.watch.summary() == "2 residents, 2 still to look in on"


def test_the_watch_screen_renders_in_both_languages(tmp_path):
    """The watch list drawn for real (offscreen Kivy in a subprocess): PNGs in test-artifacts/screens/."""
    import subprocess
    import sys

    import cv2

    from .test_screens_render import ARTIFACTS, REPO, kivy_env

    for language in ("zh", "en"):
        out = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / "phone_watch_list.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "tests.terminal.app.watch_shots", language,
                               str(tmp_path / language), str(out)], cwd=REPO, env=kivy_env(tmp_path),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        image = cv2.imread(str(out))
        assert image is not None and image.shape[0] > image.shape[1]  # a phone: portrait
        assert image.std() > 20  # drawn, not blank


def test_the_patrol_tablet_records_a_visit_at_the_door(make_context, clock):
    ctx = make_context("tablet")
    send_list(ctx, TODAY)
    visit = ctx.watch.observe(KEY_B, "safe")
    assert visit.via == "patrol" and outbox(ctx) == [visit]  # the hub counts it as a patrol's visit
