"""Kiosk input without a keyboard and what residents see while reporting: pads, common phrases, category names with
icons (never codes), labelled map cells, the photo hint that goes once a good photo is in, the check-in number pad."""
from __future__ import annotations

import pytest

from terminal.app.presenters.category_icons import icon_for
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.keypad import CARD_KEYS, CLEAR, DELETE, LOOKUP_KEYS, add_phrase, press
from terminal.app.presenters.report import cell_label


def test_pad_keys_append_delete_and_clear_within_the_limit():
    text = ""
    for key in "12345":
        text = press(text, key, max_len=4)
    assert text == "1234"
    assert press(text, DELETE, max_len=4) == "123"
    assert press(text, CLEAR, max_len=4) == ""
    assert "X" in CARD_KEYS and DELETE in CARD_KEYS
    assert {"A", "F", "-", "0"} <= set(LOOKUP_KEYS)


def test_phrases_append_with_a_chinese_comma_once_and_never_cut():
    assert add_phrase("", "井盖破损", max_len=50) == "井盖破损"
    assert add_phrase("井盖破损", "存在安全隐患", max_len=50) == "井盖破损，存在安全隐患"
    assert add_phrase("井盖破损", "井盖破损", max_len=50) == "井盖破损"
    assert add_phrase("在3号楼 ", "路灯不亮", max_len=50) == "在3号楼 路灯不亮"
    assert add_phrase("12345", "路灯不亮", max_len=7) == "12345"


def test_report_offers_phrases_and_appends_them_to_the_note(make_context):
    ctx = make_context()
    texts = [text for _, text in ctx.report.phrases()]
    assert {"井盖破损", "垃圾未清运", "路灯不亮", "噪音扰民"} <= set(texts)
    ctx.report.add_phrase("井盖破损")
    ctx.report.add_phrase("存在安全隐患")
    assert ctx.report.note == "井盖破损，存在安全隐患"
    ctx.tr.set_language("en")
    assert "Broken manhole cover" in [text for _, text in ctx.report.phrases()]


def test_categories_show_names_and_icons_never_codes(make_context):
    ctx = make_context()
    items = ctx.report.category_items()
    assert items and all(item.code not in item.name for item in items)
    manhole = next(i for i in items if i.code == "C0101")
    assert manhole.name == "上水井盖" and manhole.icon.glyph == "井"
    parking = next(i for i in items if i.code == "E0503")
    assert parking.icon.glyph == "车"
    assert all(len(i.icon.glyph) == 1 for i in items)
    assert len({i.icon.color for i in items}) >= 5  # major classes are told apart by colour
    ctx.report.choose_category("C0101")
    assert [i.code for i in ctx.report.category_items() if i.chosen] == ["C0101"]
    fallback = icon_for(ctx.report.categories[0].__class__("Z9999", "event", "09", "别的", "Other", "其他类", False))
    assert fallback.glyph == "其"


def test_map_cells_are_named_like_a_street_map(make_context):
    assert [cell_label(0, 0), cell_label(1, 2), cell_label(2, 3)] == ["A1", "B3", "C4"]
    ctx = make_context()
    ctx.report.pick_on_map(1, 2)
    assert ctx.report.place_text() == "已选：B3 区"


def test_the_photo_hint_is_a_gap_until_a_good_photo_then_it_is_not(make_context):
    ctx = make_context()
    assert "report.photo_needed" in ctx.report.missing()
    with pytest.raises(FlowRefused):
        ctx.report.submit()
    assert ctx.report.capture()
    assert "report.photo_needed" not in ctx.report.missing()
    assert ctx.report.message.startswith("照片清晰")


def test_card_number_pad_hashes_and_forgets_the_number(make_context):
    ctx = make_context()
    flow = ctx.checkin
    for key in "44040219800101123X":
        flow.press_card_key(key)
    assert flow.masked_card() == "••••••••••••••••3X"
    flow.press_card_key(DELETE)
    flow.press_card_key("X")
    assert flow.use_typed_card()
    assert flow.card_digits == "" and flow.resident_key is not None and len(flow.resident_key) == 64
    assert "44040219800101123X" not in repr(vars(flow))
