"""The services pages' texts (hub/web/static/i18n_services.js, issue 18) in a real JS engine (node): no clash with
the catalogue, zh-CN and English have the same keys, every key the services page modules name literally is there, and
the English texts hold no Chinese."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from hub.web import WEB_DIR, labels_module

STATIC = WEB_DIR / "static"
PAGES = ["services", "disputes", "visits", "dispute_admin", "services_common"]
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_services_texts_are_complete_and_clash_with_nothing(tmp_path):
    (tmp_path / "labels.js").write_text(labels_module(), encoding="utf-8")
    for name in ("i18n.js", "i18n_services.js"):
        shutil.copy(STATIC / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "run.js").write_text("""
globalThis.localStorage = { getItem: () => null, setItem: () => {} };
globalThis.document = { documentElement: {}, querySelectorAll: () => [] };
const { t, setLang, TEXT_CLASHES } = await import("./i18n.js");
const { SERVICES_TEXTS } = await import("./i18n_services.js");
const keys = Object.keys(SERVICES_TEXTS["zh-CN"]);
setLang("en");
const en = Object.fromEntries(keys.map((k) => [k, t(k)]));
console.log(JSON.stringify({ clashes: TEXT_CLASHES, zhKeys: keys, enKeys: Object.keys(SERVICES_TEXTS.en), en }));
""", encoding="utf-8")
    out = subprocess.run(["node", "run.js"], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True)
    result = json.loads(out.stdout)
    assert result["clashes"] == []
    assert sorted(result["zhKeys"]) == sorted(result["enKeys"])
    used = set()
    for page in PAGES:
        text = (STATIC / "pages" / f"{page}.js").read_text(encoding="utf-8")
        used |= set(re.findall(r'"((?:svc|dsp|vis)\.[A-Za-z.]+)"', text))
    assert used - set(result["zhKeys"]) == set(), "keys the pages use but the catalogue lacks"
    assert [k for k, v in result["en"].items() if HAN.search(v)] == []
