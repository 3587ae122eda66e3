"""Spreadsheet exports neutralise formulas (issue 14 item 11, OWASP "CSV Injection"), on SQLite and PostgreSQL: a
kiosk reporting the category code ``-2-3`` (valid on the wire) names its own row of the KPI CSV grouped by category,
and that cell reaches Excel as text (``'-2-3``), not as a formula; every cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (or their full-width forms) gets the same treatment, numbers stay numbers."""
from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from hub.api import office

pytest_plugins = ["tests.security.publication_fixtures"]  # pub_store, pub_app, ... (no conftest.py here)
PERIOD = {"from": "2024-06-01T00:00:00Z", "to": "2024-06-02T00:00:00Z"}


def test_a_device_sent_code_is_no_formula_in_the_kpi_csv(pub_app, pub_store, pub_kiosk_case, sign_in):
    pub_kiosk_case("路面坑洞", category="-2-3")
    with TestClient(pub_app) as client:
        sign_in(client, pub_store, role="dispatcher", scope="440402004005")
        client.cookies.clear()
        for response in (client.get("/api/kpis.csv", params=PERIOD | {"group_by": "category"}),
                         client.get("/api/kpis", params=PERIOD | {"group_by": "category", "format": "csv"})):
            assert response.status_code == 200, response.text
            table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            [row] = [r for r in table if r[0].endswith("-2-3")]
            assert row[0] == "'-2-3" and row[1] == "'-2-3", row  # the code, and the name it falls back to
            formulas = [cell for r in table for cell in r if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
            assert formulas == [], formulas


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://example.invalid\",\"点此\")", "'=HYPERLINK(\"http://example.invalid\",\"点此\")"),
    ("+86 138", "'+86 138"), ("-2-3", "'-2-3"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("  =1", "'  =1"), ("＝1+1", "'＝1+1"), ("－1", "'－1"),
    ("-1.5", "-1.5"), ("12.50", "12.50"), (7, 7), ("", ""), ("福石一网格", "福石一网格"), ("E0101", "E0101"),
])
def test_spreadsheet_cells(value, written):
    assert office.spreadsheet_cell(value) == written


def test_a_device_sent_code_is_text_in_the_kpi_workbook(pub_app, pub_store, pub_kiosk_case, sign_in):
    from openpyxl import load_workbook

    pub_kiosk_case("路面坑洞", category="-2-3")
    with TestClient(pub_app) as client:
        sign_in(client, pub_store, role="dispatcher", scope="440402004005")
        response = client.get("/api/kpis", params=PERIOD | {"group_by": "category", "format": "xlsx"})
        assert response.status_code == 200, response.text
    ws = load_workbook(io.BytesIO(response.content)).active
    [row] = [r for r in ws.iter_rows(min_row=2) if r[0].value == "-2-3"]
    assert row[0].data_type == "s" and row[0].quotePrefix, "the code reaches Excel as text, never a formula"
    assert isinstance(row[2].value, int) and ws.freeze_panes == "A2"  # counts stay numbers
    assert ws.cell(ws.max_row, 1).value == "合计 total"
