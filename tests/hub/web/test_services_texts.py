"""The services pages' texts (hub/web/static/i18n_services.js, issue 18) in a real JS engine (node): no clash with
the catalogue, zh-CN and English have the same keys, every key the services page modules name literally is there, and
the English texts hold no Chinese."""
from __future__ import annotations

import re

from hub.web import WEB_DIR
from tests.hub.web.node_runner import needs_node, run_in_node

STATIC = WEB_DIR / "static"
PAGES = ["services", "disputes", "visits", "dispute_admin", "services_common"]
HAN = re.compile(r"[\u4e00-\u9fff]")


@needs_node
def test_services_texts_are_complete_and_clash_with_nothing(tmp_path):
    result = run_in_node(tmp_path, ["i18n.js", "i18n_services.js"], """
const { t, setLang, TEXT_CLASHES } = await import("./i18n.js");
const { SERVICES_TEXTS } = await import("./i18n_services.js");
const keys = Object.keys(SERVICES_TEXTS["zh-CN"]);
setLang("en");
const en = Object.fromEntries(keys.map((k) => [k, t(k)]));
console.log(JSON.stringify({ clashes: TEXT_CLASHES, zhKeys: keys, enKeys: Object.keys(SERVICES_TEXTS.en), en }));
""")
    assert result["clashes"] == []
    assert sorted(result["zhKeys"]) == sorted(result["enKeys"])
    used = set()
    for page in PAGES:
        text = (STATIC / "pages" / f"{page}.js").read_text(encoding="utf-8")
        used |= set(re.findall(r'"((?:svc|dsp|vis)\.[A-Za-z.]+)"', text))
    assert used - set(result["zhKeys"]) == set(), "keys the pages use but the catalogue lacks"
    assert [k for k, v in result["en"].items() if HAN.search(v)] == []
