"""Notices presenter: NoticeBody downlinks from the inbox, newest first, this grid's and community-wide ones."""
from __future__ import annotations

from datetime import UTC, datetime

from protocol import DownlinkMessage, uuid7


def notice(device_id: str, title: str, published: datetime, grid_code: str | None = None, kind: str = "notice",
           body: dict | None = None) -> DownlinkMessage:
    return DownlinkMessage(id=uuid7(), device_id=device_id, kind=kind, created_at=published,
                           body=body if body is not None else {"title": title, "text": f"{title}的内容",
                                                               "grid_code": grid_code,
                                                               "published_at": published.isoformat()})


def test_notices_newest_first_filtered_to_this_grid(make_context):
    ctx = make_context()
    store, did = ctx.device.store, ctx.device.device_id
    for message in [notice(did, "停水通知", datetime(2025, 3, 1, 9, tzinfo=UTC), "440402004005001"),
                    notice(did, "社区议事会", datetime(2025, 3, 2, 9, tzinfo=UTC)),
                    notice(did, "别的网格", datetime(2025, 3, 3, 9, tzinfo=UTC), "440402004005002"),
                    notice(did, "坏消息", datetime(2025, 3, 4, 9, tzinfo=UTC), body={"text": "no title"}),
                    notice(did, "任务", datetime(2025, 3, 5, 9, tzinfo=UTC), kind="task", body={})]:
        store.store_downlink(message)
    items = ctx.notices.items()
    assert [i.title for i in items] == ["社区议事会", "停水通知"]
    assert items[1].text == "停水通知的内容"
    assert items[0].published == "03-02 17:00"  # shown in China Standard Time


def test_empty_notices_say_so(make_context):
    ctx = make_context()
    assert ctx.notices.items() == []
    assert ctx.notices.empty_text() == "暂无公告"
