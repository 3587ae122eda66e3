"""Issue 14, hole 9 (the page side), in real headless Chromium against the real hub (uvicorn on loopback, no MQTT):
evidence in a case's trail that is not a 64-hex SHA-256 - here written past the API, as an older hub or any other
path could have stored it - never becomes part of a URL. Before, ``<img src="/api/photos/../welfare/enrolments">``
made the admin's browser fetch the welfare register, logged as the admin's own read."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from hub.auth.operators import OperatorDirectory
from hub.cases import CaseService
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from tests.e2e.dashboard_pages import wait_ready
from tests.security.scope_fixtures import *  # noqa: F403 - the fixtures: scope_store, scope_world, scope_clock
from tests.security.scope_fixtures import FUSHI, PASSWORD

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"]
EVIL = ["../welfare/enrolments", "..%2f..%2fapi%2faccess-log", "../../api/operators"]


@pytest.fixture
def hub(scope_store, scope_world, scope_clock, tmp_path: Path) -> Iterator[HubRunner]:
    settings = HubSettings(data_dir=tmp_path / "hub", http_port=0, auto_dispatch=False)
    runner = HubRunner(settings, store=scope_store, start_bridge=False, clock=scope_clock).start()
    yield runner
    runner.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()



def test_the_case_page_builds_photo_urls_from_hex_sha256s_only(hub, browser, scope_store, scope_world, scope_clock):
    w = scope_world
    CaseService(scope_store, clock=scope_clock).transition(w.case, "note", "p-lead-01", note="旧数据",
                                                           evidence=[*EVIL, w.grid1_photo])
    OperatorDirectory(scope_store, clock=scope_store.clock).create("fs-admin", PASSWORD, role="admin", scope_code=FUSHI)

    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    errors: list[str] = []
    paths: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: paths.append(urlsplit(request.url).path))
    page.goto(hub.base_url + "/")
    page.fill("input[name=username]", "fs-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    wait_ready(page, "map")
    for hash_, name in ((f"#/case/{w.case}", "case"), ("#/feed", "feed")):
        page.goto(f"{hub.base_url}/app/{hash_}")
        wait_ready(page, name)
        if name == "case":
            photos = page.locator(".photos img.photo")
            expect(photos).to_have_count(1)  # the report's photo, cited again; the rest is no photo at all
            assert photos.first.get_attribute("src") == f"/api/photos/{w.grid1_photo}"
    page.wait_for_timeout(1000)  # let any image the pages asked for be fetched

    photo_paths = [p for p in paths if p.startswith("/api/photos/")]
    assert photo_paths and set(photo_paths) == {f"/api/photos/{w.grid1_photo}"}, photo_paths
    assert not [p for p in paths if p.startswith(("/api/welfare", "/api/access-log", "/api/operators"))], paths
    assert errors == []
