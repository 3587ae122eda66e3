"""The kiosk's notices of 居务公开 (``bulletin``): the newest version of each notice only, withdrawn and expired ones
gone, pinned first then newest, archived by their real category (old ``notice`` messages keep the word-guess), each
reported shown to the hub (a READ confirmation) once it is listed on screen; and the screen drawn with categories."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import cv2

from protocol import BulletinBody, DownlinkMessage, NoticeBody, uuid7
from terminal.bulletins import latest_bulletins

from .test_screens_render import ARTIFACTS, REPO, kivy_env

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # the StepClock's start


def deliver(ctx, kind: str, body: dict) -> str:
    message = DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind=kind, body=body, created_at=T0)
    ctx.device.store.store_downlink(message)
    return message.id


def bulletin(ctx, notice_id: str, title: str, category: str = "affairs", *, version: int = 1, hours: float = 1,
             pinned: bool = False, withdrawn: bool = False, expires_in_h: float | None = None) -> str:
    body = BulletinBody(notice_id=notice_id, version=version, withdrawn=withdrawn, category=category, title=title,
                        text=f"{title}的内容", pinned=pinned, target_code="440402004005",
                        published_at=T0 - timedelta(hours=hours),
                        expires_at=None if expires_in_h is None else T0 + timedelta(hours=expires_in_h))
    return deliver(ctx, "bulletin", body.model_dump(mode="json"))


def test_newest_version_only_pinned_first_withdrawn_and_expired_gone(make_context, clock):
    ctx = make_context()
    finance, topic, gone, brief = uuid7(), uuid7(), uuid7(), uuid7()
    bulletin(ctx, finance, "财务公示（第1版）", "finance", hours=30, pinned=True)
    v2 = bulletin(ctx, finance, "财务公示（更正）", "finance", version=2, hours=30, pinned=True)
    bulletin(ctx, topic, "加装电梯意见征集", "topics", hours=2)
    bulletin(ctx, gone, "撤回的通知", "general", hours=1, version=3)
    bulletin(ctx, gone, "撤回的通知", "general", hours=1, version=3, withdrawn=True)
    bulletin(ctx, gone, "撤回的通知", "general", hours=1, version=2)  # an older copy arriving late changes nothing
    bulletin(ctx, brief, "今晚停电", "general", hours=3, expires_in_h=1)
    bulletin(ctx, uuid7(), "新系统的类别", "lottery", hours=4)  # a newer hub's category: shown as 通知
    deliver(ctx, "notice", NoticeBody(title="周六社区义诊", text="请携带医保卡",
                                      published_at=T0 - timedelta(hours=5)).model_dump(mode="json"))
    presenter = ctx.notices
    items = presenter.items()
    assert [i.title for i in items] == ["财务公示（更正）", "加装电梯意见征集", "今晚停电", "新系统的类别",
                                        "周六社区义诊"]
    assert items[0].message_id == v2 and items[0].pinned and items[0].category_text == "财务公开"
    assert [i.category for i in items] == ["finance", "topics", "general", "general", "health"]
    assert items[3].category_text == "通知" and items[4].category_text == "健康义诊"  # old: guessed from words
    assert latest_bulletins(ctx.device.store)[gone].body.withdrawn

    presenter.set_filter("finance")
    assert [i.title for i in presenter.items()] == ["财务公示（更正）"]
    presenter.set_filter("all")
    labels = dict(presenter.filters())
    assert labels["finance"] == "财务公开" and labels["topics"] == "议题公示" and labels["health"] == "健康义诊"

    clock.advance(2 * 3600)  # 今晚停电 has expired
    assert "今晚停电" not in [i.title for i in presenter.items()]


def test_listing_on_screen_reports_bulletins_shown_and_old_notices_wait_for_opening(make_context):
    ctx = make_context()
    first = bulletin(ctx, uuid7(), "居委会换届选举结果公告")
    old = deliver(ctx, "notice", NoticeBody(title="停水通知", published_at=T0).model_dump(mode="json"))
    assert ctx.notices.unread_count() == 2
    assert ctx.device.store.inbox_entry(first).state == "delivered"  # counting for the home screen shows nothing
    shown = ctx.notices.show()
    assert [i.message_id for i in shown] == [old, first]
    assert ctx.device.store.inbox_entry(first).state == "read"
    assert (first, "read") in ctx.device.store.unconfirmed_downlinks()  # the READ confirmation goes to the hub
    assert ctx.device.store.inbox_entry(old).state == "delivered"  # an old notice: read when opened, as before


def test_the_notices_screen_draws_categories_and_a_notices_image(tmp_path):
    out = ARTIFACTS / "kiosk_notices_categories.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "tests.terminal.app.bulletin_shots", "zh", str(tmp_path / "data"),
                           str(out)], cwd=REPO, env=kivy_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (1080, 1920) and image.std() > 20
    # the detail pane shows the finance table: a bright white page right of the list
    assert image[400:560, 1120:1400].mean() > 200
    db = __import__("sqlite3").connect(tmp_path / "data" / "terminal.db")
    try:
        states = dict(db.execute("SELECT json_extract(body, '$.title'), state FROM inbox WHERE kind = 'bulletin' "
                                 "AND json_extract(body, '$.withdrawn') = 0").fetchall())
    finally:
        db.close()
    assert states["居委会换届选举结果公告"] == "read" and states["已过期的停电通知"] == "delivered"  # shown vs hidden
