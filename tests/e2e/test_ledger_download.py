"""The ledger from the case list, as an operator gets it: filter the list in Chromium, press 导出台账, and the file the
browser saves (opened with openpyxl) holds exactly the cases the list shows, codes as text, the header frozen."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from hub.cases import CaseService
from tests.e2e.dashboard_pages import goto

from .test_casework_pages import CENTRES, GRID1, GRID2, browser, errors, sign_in  # noqa: F401 (fixtures)
from .test_dashboard import setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"


def test_the_ledger_matches_the_filtered_list(hub, browser, errors):
    setup_org(hub.store)
    service = CaseService(hub.store)
    for n, grid in enumerate([GRID1, GRID1, GRID2]):
        service.open_case(f"ledger-e2e-{n}", "E0101", grid_code=grid, community_code=grid[:12], note=f"第{n}件")
    page = sign_in(browser, hub, errors)
    goto(page, hub, f"#/cases?unit={GRID1}", "cases")
    shown = page.locator("[data-testid=case-list] tbody tr").count()
    assert shown == 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cases-ledger-1920.png"))
    with page.expect_download() as download:
        page.get_by_test_id("ledger").click()
    saved = download.value
    assert saved.suggested_filename.startswith("案件台账_") and saved.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(Path(saved.path()).read_bytes())).active
    assert ws.freeze_panes == "A2" and ws.max_row - 1 == shown
    grid_col = [c.value for c in ws[1]].index("网格代码")
    assert {row[grid_col].value for row in ws.iter_rows(min_row=2)} == {GRID1}
    assert all(row[grid_col].data_type == "s" for row in ws.iter_rows(min_row=2))
