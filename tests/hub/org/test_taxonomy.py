from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.org.calendar import WorkCalendar
from hub.org.taxonomy import (
    CODE_PATTERN,
    TaxonomyError,
    default_taxonomy,
    department_map,
    get_category,
    install_taxonomy,
    list_categories,
    set_department,
    set_enabled,
    set_time_limit,
)

SH = ZoneInfo("Asia/Shanghai")


def test_default_taxonomy_is_complete_and_valid():
    cats = default_taxonomy()
    assert 30 <= len(cats) <= 50
    assert {c.kind for c in cats} == {"component", "event"}
    for cat in cats:
        assert CODE_PATTERN.match(cat.code), cat.code
        assert cat.time_limit_value > 0 and cat.time_limit_unit in ("working_hours", "working_days")
        assert cat.name_zh and cat.name_en and cat.filing_conditions and cat.closing_conditions
    by_name = {c.name_zh: c for c in cats}
    for name in ("上水井盖", "路灯", "暴露垃圾", "非法小广告", "占道经营", "消防通道堵塞", "邻里纠纷"):
        assert name in by_name
    assert "消防" in by_name["消防通道堵塞"].department and by_name["消防通道堵塞"].urgent


def test_install_edit_and_persist(store):
    total = len(default_taxonomy())
    assert install_taxonomy(store) == total
    assert install_taxonomy(store) == 0  # idempotent
    assert len(list_categories(store, kind="event")) + len(list_categories(store, kind="component")) == total

    set_enabled(store, "E0202", False)
    assert "E0202" not in {c.code for c in list_categories(store, enabled_only=True)}
    changed = set_time_limit(store, "E0101", 3, "working_days")
    assert (changed.time_limit_value, changed.time_limit_unit) == (3, "working_days")
    set_department(store, "E0101", "街道环卫站")
    assert department_map(store)["E0101"] == "街道环卫站"

    assert install_taxonomy(store) == 0 and get_category(store, "E0101").time_limit_value == 3  # edits kept
    assert install_taxonomy(store, overwrite=True) == total
    assert get_category(store, "E0202").enabled is True


def test_bad_edits_are_refused(store):
    install_taxonomy(store)
    with pytest.raises(TaxonomyError, match="no category"):
        set_enabled(store, "E9999", False)
    with pytest.raises(TaxonomyError, match="positive"):
        set_time_limit(store, "E0101", 0, "working_hours")
    with pytest.raises(TaxonomyError, match="positive"):
        set_time_limit(store, "E0101", 2, "weeks")


def test_category_deadline_uses_the_calendar():
    cat = {c.code: c for c in default_taxonomy()}["E0101"]  # exposed garbage, 2 working hours
    cal = WorkCalendar()
    assert cat.deadline(cal, datetime(2024, 6, 3, 11, tzinfo=SH)) == datetime(2024, 6, 3, 15, tzinfo=SH)
