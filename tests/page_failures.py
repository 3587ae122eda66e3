"""What a dashboard page looked like when its test failed: for every Chromium page the test holds (a ``browser``,
``context`` or ``page`` fixture, and the pages of their contexts), a screenshot and the HTML under
test-artifacts/failures/, and in the test's report its address, the dashboard's routing state and the text on
screen. A page test that times out waiting for an element otherwise says only which element."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

FAILURES = Path(__file__).resolve().parents[1] / "test-artifacts" / "failures"
TEXT_CHARS = 1500
STATE = "() => { const g = window.__gridline || {}; return {page: g.page, ready: g.ready}; }"


def _pages(funcargs: dict) -> Iterator:
    try:
        from playwright.sync_api import Browser, BrowserContext, Page
    except ImportError:
        return
    seen: set[int] = set()
    for value in funcargs.values():
        contexts = (value.contexts if isinstance(value, Browser) else [value] if isinstance(value, BrowserContext)
                    else [])
        pages = [p for c in contexts for p in c.pages] + ([value] if isinstance(value, Page) else [])
        for page in pages:
            if id(page) not in seen and not page.is_closed():
                seen.add(id(page))
                yield page


def describe_pages(nodeid: str, funcargs: dict) -> str:
    """Save each open page's screenshot and HTML; return what to put in the failed test's report."""
    stem = re.sub(r"[^\w.-]+", "_", nodeid)[-120:]
    lines = []
    for n, page in enumerate(_pages(funcargs)):
        try:
            FAILURES.mkdir(parents=True, exist_ok=True)
            shot = FAILURES / f"{stem}-{n}.png"
            page.screenshot(path=str(shot), full_page=True, timeout=5000)
            (FAILURES / f"{stem}-{n}.html").write_text(page.content(), encoding="utf-8")
            text = " ".join(page.inner_text("body", timeout=5000).split())
            lines += [f"page {n}: {page.url}", f"  state: {page.evaluate(STATE)}",
                      f"  text: {text[:TEXT_CHARS]}", f"  saved: {shot} (and .html)"]
        except Exception as exc:  # noqa: BLE001 - a crashed or closed page: say so, keep the test's own failure
            lines.append(f"page {n}: could not be captured: {exc!r}")
    return "\n".join(lines)
