"""KPI trends on 统计考核 and the report density layer on the map, in real headless Chromium against a real hub:
the trend charts are uPlot canvases with drawn pixels and legend entries in the UI language, switching 日 → 月
changes the number of points (30 days → 12 months), the English page has no Chinese label of its own, and the
density toggle draws cells where the cases were reported. Screenshots: test-artifacts/dashboard/
trends-{1920,1366}.png, trends-en-1920.png and map-density-1920.png."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from hub.cases import CaseService
from tests.e2e.dashboard_pages import goto
from tests.hub.followup.test_followup import close

from .test_casework_pages import CENTRES, CJK, OWN_TEXTS, browser, errors, sign_in  # noqa: F401 - fixtures
from .test_dashboard import FUSHI, setup_org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
CATEGORIES = ["E0101", "E0501", "C0110"]

# Pixels of a canvas that are neither blank nor white: uPlot drew lines, fills and axes.
INKED = """(sel) => {
  const c = document.querySelector(sel);
  if (!c) return -1;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) n++;
  return n;
}"""


class Backdated:
    """The hub's clock for seeding: cases opened, handled and closed on past days."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def seed_history(store) -> int:
    """Cases reported over the last 300 days (more lately) in 福石's grids; two in three closed the next day."""
    clock = Backdated()
    service = CaseService(store, clock=clock)
    today = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    made = 0
    for n in range(70):
        days_back = n * 4 if n < 20 else (n - 20) // 2  # one every 4 days long ago, two a day in the last 25 days
        clock.now = today - timedelta(days=days_back, minutes=n)
        grid = list(CENTRES)[n % 3]
        lat, lon = CENTRES[grid]
        case = service.open_case(f"src-trend-{n}", CATEGORIES[n % 3], grid_code=grid, community_code=FUSHI,
                                 title=f"趋势 {n}", position=(lat + 0.0007 * (n % 5), lon + 0.0006 * (n % 4), 5.0))
        made += 1
        if n % 3:
            clock.now += timedelta(hours=3)
            close(service, case.case.id)
    return made


def wait_bucket(page: Page, bucket: str, points: int) -> None:
    panel = page.get_by_test_id("trend")
    expect(panel).to_have_attribute("data-bucket", bucket)
    expect(panel).to_have_attribute("data-points", str(points))


def test_trend_charts_switch_buckets_english_and_density(hub, browser, errors):
    setup_org(hub.store)
    seed_history(hub.store)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = sign_in(browser, hub, errors)
    goto(page, hub, "#/stats", "stats")
    wait_bucket(page, "day", 30)
    for chart in ("trend-counts", "trend-rates"):
        assert page.evaluate(INKED, f"[data-testid={chart}] canvas") > 2000, chart
    legend = page.locator("[data-testid=trend-counts] .u-legend")
    for label in ("上报数", "立案数", "结案数"):
        expect(legend).to_contain_text(label)
    rates = page.locator("[data-testid=trend-rates] .u-legend")
    for label in ("结案率", "按期结案率", "返工率"):
        expect(rates).to_contain_text(label)
    page.screenshot(path=str(ARTIFACTS / "trends-1920.png"), full_page=True)
    # the figures are the API's: the day points add up to the cases reported in the span
    body = page.request.get(f"{hub.base_url}/api/kpis/trend", params={
        "from": page.input_value("input[name=from]"), "to": page.input_value("input[name=to]"), "bucket": "day"}).json()
    assert len(body["points"]) == 30 and sum(p["reported"] for p in body["points"]) >= 40

    page.select_option("[data-testid=trend-bucket]", "month")
    wait_bucket(page, "month", 12)  # a month per point, the last 12
    assert page.evaluate(INKED, "[data-testid=trend-counts] canvas") > 2000
    page.select_option("[data-testid=trend-bucket]", "week")
    wait_bucket(page, "week", 12)
    # one grid and one category narrow the trend (and the table)
    page.select_option("[data-testid=stats-category]", "E0101")
    expect(page.get_by_test_id("trend")).to_have_attribute("data-points", "12")
    page.select_option("[data-testid=trend-bucket]", "day")
    wait_bucket(page, "day", 30)
    page.fill("input[name=from]", "2024-01-01")  # years of days: refused (422), said in the UI language
    page.click(".stats .filters button.primary")
    expect(page.get_by_test_id("trend-error")).to_contain_text("按日最多 366 天")
    page.select_option("[data-testid=trend-bucket]", "day")  # the bucket picker brings a fitting period back

    for width, height in ((1366, 768),):
        small = sign_in(browser, hub, errors, size=(width, height))
        goto(small, hub, "#/stats", "stats")
        wait_bucket(small, "day", 30)
        small.screenshot(path=str(ARTIFACTS / f"trends-{width}.png"), full_page=True)
        small.context.close()

    english = sign_in(browser, hub, errors, lang="en")
    goto(english, hub, "#/stats", "stats")
    wait_bucket(english, "day", 30)
    expect(english.locator("[data-testid=trend-counts] .u-legend")).to_contain_text("Reported")
    expect(english.locator("[data-testid=trend-rates] .u-legend")).to_contain_text("On-time closure")
    chinese = [(text, where) for text, where in english.evaluate(OWN_TEXTS) if CJK.search(text)]
    assert not chinese, f"Chinese in the English statistics page: {chinese[:8]}"
    english.screenshot(path=str(ARTIFACTS / "trends-en-1920.png"), full_page=True)

    # the density layer on the map: off at first, then cells where the cases were reported
    goto(page, hub, "#/map", "map")
    density = page.get_by_test_id("density")
    assert page.locator(".leaflet-density-pane path").count() == 0
    page.check("[data-testid=density-toggle]")
    expect(density).to_have_attribute("data-cells", re.compile(r"^[1-9]\d*$"))
    cells = int(density.get_attribute("data-cells") or 0)
    expect(page.locator(".leaflet-density-pane path")).to_have_count(cells)
    expect(page.get_by_test_id("density-scale")).to_contain_text("单格最多")
    page.select_option("[data-testid=density-days]", "7")
    page.wait_for_timeout(600)
    week_cells = int(density.get_attribute("data-cells") or 0)
    assert 0 < week_cells <= cells
    page.select_option("[data-testid=density-days]", "90")
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / "map-density-1920.png"))
    page.uncheck("[data-testid=density-toggle]")
    expect(page.locator(".leaflet-density-pane path")).to_have_count(0)
