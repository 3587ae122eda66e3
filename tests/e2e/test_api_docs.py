"""The API documentation renders on a closed network: /docs (Swagger UI) loads its scripts from the hub
(hub/web/vendor), and Chromium, with every request to anywhere but the hub refused, shows the operations."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Route, sync_playwright

from tests.e2e.test_dashboard import CHROMIUM_ARGS

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"


def test_api_docs_render_with_only_the_hub_reachable(hub):
    refused: list[str] = []

    def only_the_hub(route: Route) -> None:
        if route.request.url.startswith(hub.base_url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.route("**/*", only_the_hub)
            page.goto(f"{hub.base_url}/docs")
            page.wait_for_function("() => document.querySelectorAll('.opblock').length >= 20",
                                   timeout=30000)  # the hub has well over 20 routes
            assert page.locator(".opblock-summary-path", has_text="/api/cases").first.is_visible()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "api-docs-1366.png"))
        finally:
            browser.close()
    assert refused == [], f"/docs asked for something beyond the hub: {refused}"
