"""The kiosk's success screen (receipt code at once, reference once the hub answers, a QR that scans back) and the
notices archive (categories, unread filter, read marks that reach the hub as READ confirmations)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from protocol import DownlinkMessage, LookupAnswer, LookupCase, LookupRequest, NoticeBody, uuid7
from terminal.app.presenters.receipt import MAX_ASKS
from terminal.camera.qr import read_qr

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def lookups(ctx) -> list[LookupRequest]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'lookup' ORDER BY seq").fetchall()
    return [LookupRequest.model_validate_json(r[0]) for r in rows]


def answer(ctx, request: LookupRequest, cases: list[LookupCase]) -> None:
    body = LookupAnswer(request_id=request.id, query=request.query, status="found" if cases else "not_found",
                        cases=cases, answered_at=T0)
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="lookup",
                                                    body=body.model_dump(mode="json"), created_at=T0))


def test_success_shows_the_receipt_code_at_once_then_the_reference(make_context, clock):
    ctx = make_context()
    flow = ctx.report
    assert flow.capture()
    flow.choose_category("C0101")
    chosen = flow.category
    report = flow.submit()
    ctx.receipt.show(report, chosen)
    view = ctx.receipt.view()
    code = report.id[-6:]
    assert view.receipt_code == code and view.reference == "" and view.qr_text == code
    assert view.category == "上水井盖" and view.status == "已保存，联网后自动上传"
    assert read_qr(ctx.receipt.qr()) == code  # the QR holds what 查进度 accepts

    assert not ctx.receipt.poll()
    [ask] = lookups(ctx)
    assert ask.query == code
    answer(ctx, ask, [])  # the hub has stored the report but not made the case yet
    clock.advance(5)
    assert not ctx.receipt.poll()
    second = lookups(ctx)[-1]
    assert second.id != ask.id
    answer(ctx, second, [LookupCase(reference="FS-20250301-0007", receipt_code=code, state="reported",
                                    category="C0101", reported_at=T0)])
    assert ctx.receipt.poll()
    view = ctx.receipt.view()
    assert view.reference == "FS-20250301-0007" and view.qr_text == "FS-20250301-0007"
    assert read_qr(ctx.receipt.qr()) == "FS-20250301-0007"


def test_the_receipt_asks_once_while_offline_and_stops_after_a_few_not_found(make_context, clock):
    ctx = make_context()
    assert ctx.report.capture()
    ctx.report.choose_category("C0101")
    ctx.receipt.show(ctx.report.submit())
    for _ in range(10):  # offline: the one question waits in the outbox
        ctx.receipt.poll()
        clock.advance(20)
    assert len(lookups(ctx)) == 1
    for _ in range(40):  # online, and the hub keeps answering not_found
        answer(ctx, lookups(ctx)[-1], [])
        ctx.receipt.poll()
        clock.advance(20)
    assert len(lookups(ctx)) == MAX_ASKS
    ctx.receipt.clear()
    assert ctx.receipt.view() is None


def notice(ctx, title: str, text: str, days: int) -> str:
    body = NoticeBody(title=title, text=text, published_at=T0 - timedelta(days=days))
    message = DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="notice",
                              body=body.model_dump(mode="json"), created_at=T0)
    ctx.device.store.store_downlink(message)
    return message.id


def test_notices_archive_has_categories_unread_filter_and_read_marks(make_context):
    ctx = make_context()
    water = notice(ctx, "停水通知", "3月5日福石路片区管网维修停水", 3)
    clinic = notice(ctx, "周六社区义诊", "请携带医保卡", 1)
    notice(ctx, "防火安全提醒", "楼道请勿堆放杂物", 0)
    presenter = ctx.notices
    items = presenter.items()
    assert [i.title for i in items] == ["防火安全提醒", "周六社区义诊", "停水通知"]
    assert [i.category for i in items] == ["safety", "health", "works"]
    assert items[2].category_text == "停水停电/施工"
    assert presenter.unread_count() == 3
    assert presenter.filters()[:2] == [("all", "全部 3"), ("unread", "未读 3")]

    opened = presenter.open(water)
    assert opened is not None and opened.text.startswith("3月5日")
    assert presenter.unread_count() == 2
    assert ctx.device.store.inbox_entry(water).state == "read"
    assert (water, "read") in [(m, s) for m, s in ctx.device.store.unconfirmed_downlinks()]  # the hub will hear it
    presenter.set_filter("unread")
    assert [i.message_id for i in presenter.items()] == [i.message_id for i in items if i.message_id != water]
    presenter.set_filter("health")
    assert [i.message_id for i in presenter.items()] == [clinic]
    presenter.reset()
    assert presenter.filter == "all" and presenter.selected is None
