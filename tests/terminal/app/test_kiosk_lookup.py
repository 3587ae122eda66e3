"""查进度 on the kiosk (presenter, no broker): typing, asking (a durable LookupRequest), answers from the inbox shown in
plain words, cached answers shown offline while a fresh one is on its way, QR scanning of a receipt."""
from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import cv2
import pytest

from protocol import DownlinkMessage, LookupAnswer, LookupCase, LookupRequest, uuid7
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.lookup import normalise_query
from terminal.app.presenters.receipt import qr_image
from terminal.camera import FileCameraProvider

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def lookup_records(ctx) -> list[LookupRequest]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'lookup' ORDER BY seq").fetchall()
    return [LookupRequest.model_validate_json(r[0]) for r in rows]


def deliver(ctx, request: LookupRequest, status: str = "found", *, state: str = "dispatched",
            at: datetime = T0, thumbnail: bytes = b"", deadline: datetime | None = T0 + timedelta(days=1)) -> None:
    cases = [LookupCase(reference="FS-20250301-0007", receipt_code="abc123", state=state, category="C0101",
                        category_name="上水井盖", category_name_en="Water supply manhole cover",
                        reported_at=T0 - timedelta(hours=2), deadline=deadline,
                        result_thumbnail=base64.b64encode(thumbnail).decode())] if status == "found" else []
    answer = LookupAnswer(request_id=request.id, query=request.query, status=status, cases=cases, answered_at=at)
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="lookup",
                                                    body=answer.model_dump(mode="json"), created_at=at))


@pytest.mark.parametrize(("typed", "query"), [
    ("abc123", "abc123"), ("ABC123", "abc123"), ("编号 abc123", "abc123"), ("fs-20250301-0007", "FS-20250301-0007"),
    ("FS202503010007", "FS202503010007"), ("12345", None), ("hello!", None), ("", None)])
def test_queries_are_receipt_codes_or_references(typed, query):
    assert normalise_query(typed) == query


def test_a_bad_query_is_refused_and_nothing_is_asked(make_context):
    ctx = make_context()
    ctx.lookup.set_query("12")
    with pytest.raises(FlowRefused) as refused:
        ctx.lookup.ask()
    assert refused.value.key == "lookup.query_bad"
    assert lookup_records(ctx) == []


def test_before_a_question_the_answer_area_says_where_the_number_is_not_the_prompt_again(make_context):
    ctx = make_context()
    view = ctx.lookup.view()
    assert view.status == "idle" and view.headline == "回执码是上报成功时屏幕上显示的 6 位码；也可扫描当时拍下的二维码"
    assert view.headline != ctx.tr.t("lookup.prompt")  # the prompt is already beside the keypad


def test_asking_writes_a_durable_request_and_the_answer_shows_in_plain_words(make_context, clock):
    ctx = make_context()
    flow = ctx.lookup
    flow.set_query("fs-20250301-0007")
    request = flow.ask()
    assert [r.query for r in lookup_records(ctx)] == ["FS-20250301-0007"]
    view = flow.view()
    assert view.status == "waiting" and view.headline == "网络未连接：联网后自动查询"  # never started: offline
    deliver(ctx, request, state="dispatched", at=T0)
    view = flow.view()
    assert view.status == "found" and view.headline.startswith("查询结果")
    [case] = view.cases
    assert case.title == "FS-20250301-0007" and case.category == "上水井盖"
    assert case.state == "已派人处理"  # plain words, not the operators' 已派遣
    assert case.deadline == "办理期限 03-02 16:00" and not case.overdue
    assert case.thumbnail is None
    ctx.tr.set_language("en")
    assert flow.view().cases[0].state == "Someone has been sent"
    assert flow.view().cases[0].category == "Water supply manhole cover"


def test_a_repeated_question_shows_the_cached_answer_until_the_fresh_one_comes(make_context):
    ctx = make_context()
    first = ctx.lookup.ask("abc123")
    deliver(ctx, first, state="accepted", at=T0)
    ctx.lookup.reset()
    second = ctx.lookup.ask("ABC123")
    view = ctx.lookup.view()
    assert view.status == "waiting" and "上次查询结果（03-01 16:00）" in view.headline
    assert view.cases[0].state == "处理人员已接单"
    jpeg = cv2.imencode(".jpg", qr_image("x"))[1].tobytes()
    deliver(ctx, second, state="resolved", at=T0 + timedelta(hours=3), thumbnail=jpeg)
    view = ctx.lookup.view()
    assert view.status == "found" and view.cases[0].state == "已处理，等待核查"
    assert view.cases[0].thumbnail == jpeg


def test_not_found_refused_and_overdue(make_context):
    ctx = make_context()
    deliver(ctx, ctx.lookup.ask("abc124"), status="not_found")
    assert ctx.lookup.view().headline == "本社区未查到该编号的案件"
    deliver(ctx, ctx.lookup.ask("abc125"), status="refused")
    assert ctx.lookup.view().status == "refused"
    request = ctx.lookup.ask("abc126")
    deliver(ctx, request, state="accepted", at=T0 + timedelta(days=3))
    assert ctx.lookup.view().cases[0].overdue


def test_scanning_a_receipt_qr_asks_for_it(make_context, tmp_path):
    path = tmp_path / "receipt.png"
    cv2.imwrite(str(path), cv2.copyMakeBorder(qr_image("FS-20250301-0007", module_px=10), 80, 80, 80, 80,
                                              cv2.BORDER_CONSTANT, value=(255, 255, 255)))
    ctx = make_context(camera=FileCameraProvider([path]))
    assert ctx.lookup.scan()
    assert [r.query for r in lookup_records(ctx)] == ["FS-20250301-0007"]
