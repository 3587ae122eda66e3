"""Driving the dashboard in Chromium, shared by the e2e page tests: wait until a page has rendered, go to one."""
from __future__ import annotations

from playwright.sync_api import Page


def wait_ready(page: Page, name: str) -> None:
    """Until the dashboard says page ``name`` is rendered (``window.__gridline``)."""
    page.wait_for_function("n => window.__gridline && window.__gridline.ready && window.__gridline.page === n",
                           arg=name, timeout=20000)


def goto(page: Page, hub, hash_: str, name: str) -> None:
    page.goto(f"{hub.base_url}/app/{hash_}")
    wait_ready(page, name)
