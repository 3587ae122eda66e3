"""The README's map of the tree ("Where things live") matches the tree: every hub package is on it, and every
module it names exists where it says."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Where things live"):]
    return section[section.index("```") + 3:section.index("```", section.index("```") + 3)]


def test_every_hub_package_is_on_the_map():
    block = tree_block()
    packages = sorted(p.parent.name for p in (ROOT / "hub").glob("*/__init__.py"))
    missing = [p for p in packages if f"hub/{p}/" not in block and f" {p}/ (" not in block and f"{p}/ (" not in block]
    assert packages and missing == []


def test_every_module_on_the_map_exists():
    """``dir/  a.py, b.py`` lines: each module is looked up under the directory the line (or the line it
    continues) starts with."""
    missing = []
    base = None
    for line in tree_block().splitlines():
        head = re.match(r"^([\w./<>-]+/)\s", line)
        if head:
            base = head.group(1)
        if base is None or "<" in base:
            continue
        for module in re.findall(r"\b([\w]+\.py)\b", line):
            if not list((ROOT / base).rglob(module)):
                missing.append(f"{base}{module}")
    assert missing == []
