"""Phone task flow presenter: downlink → inbox → alert, detail, accept, arrive, resolve with photo, return."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocol import CaseAction, CaseActionKind, DownlinkMessage, TaskBody, uuid7
from terminal.app.alerts import SilentAlerter
from terminal.app.presenters.common import FlowRefused

from .conftest import KIOSK_SPOT


def task_message(device_id: str, case_id: str, *, version: int = 1, actions=("accept", "return"),
                 deadline: datetime | None = None, withdrawn: bool = False, title: str = "3号楼消防通道堵塞",
                 reference: str | None = None):
    body = TaskBody(case_id=case_id, case_version=version, case_state="dispatched", role="handler",
                    withdrawn=withdrawn, category="E0501", category_name="占道经营", category_name_en="Street vending",
                    title=title, note="电动车堵住消防通道", level="yellow", deadline=deadline,
                    position={"lat": 22.2712, "lon": 113.5311, "accuracy_m": 6}, grid_code="440402004005001",
                    photos=["a" * 64], actions=list(actions), reference=reference)
    return DownlinkMessage(id=uuid7(), device_id=device_id, kind="task", body=body.model_dump(mode="json"),
                           created_at=datetime(2025, 3, 1, 8, tzinfo=UTC))


def deliver(ctx, message: DownlinkMessage) -> None:
    """What the sync engine does with a downlink: store it, then hand it to the app."""
    assert ctx.device.store.store_downlink(message)
    ctx.device.engine.on_downlink(message)


def actions_sent(ctx) -> list[CaseAction]:
    return [a for a, _ in ctx.device.store.case_actions()]


@pytest.fixture
def phone(make_context):
    alerter = SilentAlerter()
    changes: list[int] = []
    ctx = make_context("phone", device_id="phone-test-01", alerter=alerter)
    ctx.on_change = lambda: changes.append(1)
    ctx.alerter, ctx.changes = alerter, changes
    return ctx


def test_new_task_appears_and_alerts_once_without_a_manual_refresh(phone, clock):
    case_id = uuid7()
    deliver(phone, task_message(phone.device.device_id, case_id, deadline=clock() + timedelta(hours=3)))
    assert phone.changes, "the UI was not asked to refresh"
    items = phone.tasks.refresh()
    assert [i.case_id for i in items] == [case_id]
    assert items[0].new and items[0].title == "3号楼消防通道堵塞"
    assert items[0].subtitle == "占道经营 · 黄色预警 · 期限 03-01 19:00"
    assert phone.alerter.alerts == [("我的任务", "3号楼消防通道堵塞")]
    phone.tasks.refresh()
    assert len(phone.alerter.alerts) == 1  # one alert per arrival, not per refresh


def test_the_cases_reference_leads_the_line(phone):
    case_id = uuid7()
    deliver(phone, task_message(phone.device.device_id, case_id, reference="FS-20250301-0007"))
    assert phone.tasks.items()[0].subtitle.startswith("FS-20250301-0007 · 占道经营")


def test_detail_marks_read_and_shows_what_and_where(phone):
    case_id = uuid7()
    deliver(phone, task_message(phone.device.device_id, case_id))
    detail = phone.tasks.select(case_id)
    assert detail.note == "电动车堵住消防通道"
    assert detail.where == "福石社区第一网格 · 22.27120, 113.53110 (±6 m)"  # the grid by its name
    assert detail.photos == "照片 1 张" and detail.role == "处置" and detail.state == "已派遣"
    assert phone.device.store.inbox_entry(phone.tasks.items()[0].message_id).state == "read"
    assert not phone.tasks.items()[0].new


def test_accept_arrive_resolve_offline_with_position_and_photo(phone):
    case_id = uuid7()
    deliver(phone, task_message(phone.device.device_id, case_id))
    flow = phone.tasks
    flow.select(case_id)
    with pytest.raises(FlowRefused) as refused:
        flow.arrive()  # the hub's list says accept first
    assert refused.value.key == "tasks.not_allowed"
    flow.accept()
    assert flow.items()[0].actions == [CaseActionKind.ARRIVE, CaseActionKind.RETURN]  # as the hub: arrive first
    arrived = flow.arrive()
    assert (arrived.position.lat, arrived.position.lon, arrived.position.accuracy_m) == (*KIOSK_SPOT, 5.0)
    assert flow.message == "已记录到场（精度 5 米）"
    with pytest.raises(FlowRefused) as refused:
        flow.resolve("已清理")
    assert refused.value.key == "tasks.need_photo"
    assert flow.capture_result()
    with pytest.raises(FlowRefused) as refused:
        flow.resolve("   ")
    assert refused.value.key == "tasks.need_note"
    resolved = flow.resolve("已劝离电动车，通道畅通")
    assert resolved.note == "已劝离电动车，通道畅通" and len(resolved.photos) == 1 and resolved.position
    sent = actions_sent(phone)
    assert [a.action for a in sent] == [CaseActionKind.ACCEPT, CaseActionKind.ARRIVE, CaseActionKind.RESOLVE]
    assert all(a.case_id == case_id and a.case_version == 1 for a in sent)
    item = flow.items()[0]
    assert item.actions == [] and item.unsent == "3 项待上传"  # offline: kept, shown, sent later
    assert phone.device.status().pending == 3 and phone.device.status().photos_pending == 1


def test_the_open_task_survives_an_app_restart(phone, make_context):
    case_id = uuid7()
    deliver(phone, task_message(phone.device.device_id, case_id))
    phone.tasks.select(case_id)
    phone.stop()
    again = make_context("phone", device_id="phone-test-01")
    assert again.tasks.selected == case_id and again.tasks.detail().item.case_id == case_id


def test_return_needs_a_reason(phone):
    case_id = uuid7()
    deliver(phone, task_message(phone.device.device_id, case_id))
    phone.tasks.select(case_id)
    with pytest.raises(FlowRefused) as refused:
        phone.tasks.return_task("  ")
    assert refused.value.key == "tasks.need_reason"
    returned = phone.tasks.return_task("不属于本网格")
    assert returned.action is CaseActionKind.RETURN and returned.reason == "不属于本网格"


def test_newer_task_version_supersedes_and_withdrawal_removes_it(phone):
    case_id = uuid7()
    did = phone.device.device_id
    deliver(phone, task_message(did, case_id, title="旧标题"))
    deliver(phone, task_message(did, case_id, version=3, title="新标题", actions=("accept",)))
    assert [i.title for i in phone.tasks.refresh()] == ["新标题"]
    phone.tasks.select(case_id)
    deliver(phone, task_message(did, case_id, version=4, withdrawn=True))
    [gone] = phone.tasks.refresh()  # kept on the list for a day, greyed, with nothing left to do
    assert (gone.chip, gone.chip_text, gone.actions, gone.new) == ("withdrawn", "已撤回", [], False)
    assert phone.tasks.detail() is None
    assert len(phone.alerter.alerts) == 2  # a withdrawal is not news worth a vibration
    banner = phone.tasks.current_banner()
    assert banner.text == "任务已撤回：3号楼消防通道堵塞" and not banner.sound
    with pytest.raises(FlowRefused):
        phone.tasks.accept()


def test_overdue_and_no_deadline_are_labelled(phone, clock):
    did = phone.device.device_id
    deliver(phone, task_message(did, uuid7(), deadline=clock() - timedelta(minutes=1), title="超时"))
    deliver(phone, task_message(did, uuid7(), title="无期限"))
    subtitles = {i.title: i.subtitle for i in phone.tasks.refresh()}
    assert subtitles["超时"].endswith("已超时") and subtitles["无期限"].endswith("无期限")


def test_english_labels(phone):
    phone.tr.set_language("en")
    deliver(phone, task_message(phone.device.device_id, uuid7()))
    item = phone.tasks.refresh()[0]
    assert item.subtitle.startswith("Street vending · Yellow · No deadline")
