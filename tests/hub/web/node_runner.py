"""Run the dashboard's i18n modules in a real JS engine (node): the texts tests share this one runner."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hub.web import WEB_DIR, labels_module

STATIC = WEB_DIR / "static"
# what i18n.js touches in a browser, enough for it to load and answer t() outside one
PRELUDE = """
globalThis.localStorage = { getItem: () => null, setItem: () => {} };
globalThis.document = { documentElement: {}, querySelectorAll: () => [] };
"""
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


def run_in_node(tmp_path: Path, modules: list[str], script: str) -> Any:
    """Copy ``modules`` (file names under hub/web/static) and the generated labels.js into ``tmp_path``, run
    ``script`` as an ES module after the prelude, and return what it printed as JSON."""
    (tmp_path / "labels.js").write_text(labels_module(), encoding="utf-8")
    for name in modules:
        shutil.copy(STATIC / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "run.js").write_text(PRELUDE + script, encoding="utf-8")
    out = subprocess.run(["node", "run.js"], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)
