"""The case ledger (案件台账): every case a filter of the case list matches, one row each, with its reference,
times of each step of the loop, people, both colours and outcome - what a community office files and a street
office asks for each month. Built from the case list's own query (``views_repo.find_cases``, so filters and scope
mean the same) and the trail's first time of each step. The case's own note may hold personal data: the ledger
carries the title and the note an operator approved for the public, never the raw note."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.cases import repo, views_repo
from hub.org import repo as org_repo
from protocol.labels import level_label, source_label, state_label

# the unit level an escalation last reached (hub/cases/recipients.py ESCALATION_CHAIN), by "is the language Chinese"
ESCALATED_TO = {True: {"grid": "网格", "community": "社区", "street": "街道", "district": "区", "city": "市"},
                False: {"grid": "grid", "community": "community", "street": "street", "district": "district",
                        "city": "city"}}
MAX_ROWS = 50_000  # a month of a district is a few thousand; beyond this, narrow the filter
PAGE = 500
# (transition whose first time is a column, its column header per language)
STEPS: tuple[tuple[str, str, str], ...] = (
    ("file", "立案时间", "Filed"), ("dispatch", "派遣时间", "Dispatched"), ("resolve", "处置反馈时间", "Resolved"),
    ("verify", "核查时间", "Verified"), ("close", "结案时间", "Closed"))
# (header zh, header en, is a code kept as text)
HEADERS: tuple[tuple[str, str, bool], ...] = (
    ("案件编号", "Reference", True), ("回执码", "Receipt code", True), ("类别代码", "Category code", True),
    ("类别", "Category", False), ("标题", "Title", False), ("社区", "Community", False), ("网格", "Grid", False),
    ("网格代码", "Grid code", True), ("来源", "Source", False), ("状态", "State", False),
    ("预警颜色", "Warning colour", False), ("上报时间", "Reported", False),
    *((zh, en, False) for _, zh, en in STEPS),
    ("处置期限", "Deadline", False), ("是否超期", "Overdue", False), ("处置人", "Handler", False),
    ("升级层级", "Escalation level", False), ("公开说明", "Public note", False))


def headers(lang: str) -> list[tuple[str, bool]]:
    """(header, is a code) per column."""
    return [(zh if lang.startswith("zh") else en, text) for zh, en, text in HEADERS]


def ledger(conn: sa.Connection, query: views_repo.CaseQuery, *, now: datetime, live: Sequence[str],
           scope_units: sa.Select[str] | None, lang: str = "zh-CN") -> tuple[list[list[Any]], bool]:
    """(the rows, oldest case first; True if MAX_ROWS cut them short)."""
    cases: list[dict[str, Any]] = []
    cursor = None
    while len(cases) < MAX_ROWS:
        page = views_repo.find_cases(conn, query, now=now, live=live, order="oldest", limit=PAGE, cursor=cursor,
                                     count=False, scope_units=scope_units)
        cases += page.rows
        cursor = page.next_cursor
        if cursor is None:
            break
    truncated = cursor is not None
    cases = cases[:MAX_ROWS]
    steps = repo.first_times(conn, [c["id"] for c in cases], [t for t, _, _ in STEPS] + ["auto_resolve"])
    people = org_repo.people_by_id(conn, {c["assignee"] for c in cases if c["assignee"]})
    yes, no = ("是", "否") if lang.startswith("zh") else ("yes", "no")
    rows = []
    for c in cases:
        times = steps.get(c["id"], {})
        resolved = min((t for t in (times.get("resolve"), times.get("auto_resolve")) if t), default=None)
        overdue = c["state"] in live and c["deadline"] is not None and c["deadline"] < now
        rows.append([
            c["reference"], c["receipt_code"], c["category_code"],
            c["category_zh"] if lang.startswith("zh") else (c["category_en"] or c["category_zh"]),
            c["title"], c["community_name"], c["grid_name"], c["grid_code"],
            source_label(c["source"], lang) if c["source"] else None, state_label(c["state"], lang),
            level_label(c["level"], lang) if c["level"] else None, c["created_at"],
            times.get("file"), times.get("dispatch"), resolved, times.get("verify"), times.get("close"),
            c["deadline"], yes if overdue else no,
            people[c["assignee"]].name if c["assignee"] in people else c["assignee"],
            ESCALATED_TO[lang.startswith("zh")].get(c["escalation_level"], c["escalation_level"]),
            c["public_note"]])
    return rows, truncated
