"""The case ledger (案件台账, GET /api/ledger/cases) on SQLite and PostgreSQL, read back with openpyxl: one row per
case the case-list filter matches in the operator's scope (another community's never), codes stored as text, the
header row frozen and bold, step times as date cells in the deployment's zone, the raw note never in it; CSV with a
BOM; English headers on request; text a spreadsheet would run as a formula stays text."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from hub.api.office import Column, csv_bytes, xlsx_bytes
from tests.hub.api.test_case_list import (  # noqa: F401 (fixtures)
    COMM,
    GRID_2,
    OTHER_COMM,
    OTHER_GRID,
    api,
    jobs_held_still,
    listed,
    world,
)

SH = ZoneInfo("Asia/Shanghai")


def ledger(client, heads, **params):
    response = client.get("/api/ledger/cases", params=params, headers=heads)
    assert response.status_code == 200, response.text
    return response


def sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def test_the_ledger_is_the_filtered_list_with_codes_as_text(api, world, clock):
    client, heads = api
    mine = [world.case(note=f"私人备注{n} 电话13800138000") for n in range(4)]
    mine.append(world.case(grid=GRID_2))
    world.case(grid=OTHER_GRID, community=OTHER_COMM)
    filed_at = clock()
    world.service.transition(mine[0]["id"], "file", "d1")
    expected = listed(client, heads["fs"], limit=500)[1]["total"]

    ws = sheet(ledger(client, heads["fs"]))
    assert ws.freeze_panes == "A2" and ws["A1"].value == "案件编号" and ws["A1"].font.bold
    assert ws.max_row - 1 == expected == 5  # 福石's five, not 翠微's
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert [r["案件编号"] for r in rows] == [c["reference"] for c in mine]  # oldest first
    for row, cells in zip(rows, ws.iter_rows(min_row=2), strict=True):
        by_header = dict(zip(header, cells, strict=True))
        for code in ("案件编号", "回执码", "类别代码", "网格代码"):
            assert by_header[code].data_type == "s" and isinstance(row[code], str), code
        assert isinstance(row["上报时间"], datetime) and row["社区"] == "福石社区"
    assert row["网格代码"] == GRID_2 and rows[0]["网格代码"].startswith(COMM)
    assert rows[0]["立案时间"] == filed_at.astimezone(SH).replace(tzinfo=None) and rows[1]["立案时间"] is None
    assert all("私人备注" not in str(v) and "13800138000" not in str(v) for r in rows for v in r.values())

    narrowed = sheet(ledger(client, heads["fs"], state="filed"))
    assert narrowed.max_row - 1 == 1
    assert sheet(ledger(client, heads["cw"])).max_row - 1 == 1  # 翠微 sees its own one


def test_csv_and_english(api, world):
    client, heads = api
    world.case()
    response = ledger(client, heads["fs"], format="csv", lang="en")
    assert response.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''case-ledger_" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffReference,Receipt code,")
    assert len(list(csv.reader(io.StringIO(text[1:])))) == 2
    assert sheet(ledger(client, heads["fs"], lang="en"))["A1"].value == "Reference"


def test_formula_like_text_stays_text():
    columns = [Column("代码", text=True), Column("标题")]
    rows = [["0012", "=HYPERLINK(\"http://evil\",\"x\")"], ["440402004005001", "@SUM(1)"], ["+1", "-2"]]
    ws = load_workbook(io.BytesIO(xlsx_bytes("t", columns, rows, SH))).active
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert got == rows  # read back as the same text: no formula, no number
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row)
    lines = list(csv.reader(io.StringIO(csv_bytes(columns, rows, SH).decode("utf-8")[1:])))
    assert lines[1] == ["0012", "'=HYPERLINK(\"http://evil\",\"x\")"] and lines[3] == ["'+1", "-2"]  # -2 is a number
