"""The admin pages' texts (hub/web/static/i18n_admin.js, merged into the catalogue by i18n.js addTexts) in a real JS
engine (node): no key clashes with the catalogue, zh-CN and English have the same keys, every key the admin page
modules name (literally, or by the groups they build keys from) is there, and t() answers in both languages."""
from __future__ import annotations

import re

from hub.store.vocabulary import PERSON_ROLES, UNIT_LEVELS
from hub.web import WEB_DIR
from protocol.labels import LABELS
from tests.hub.web.node_runner import needs_node, run_in_node

STATIC = WEB_DIR / "static"
PAGES = ["people", "categories", "calendar", "operators", "deadletters", "accesslog", "admin_common"]
# keys built from values: hub/store/vocabulary.py PERSON_ROLES and UNIT_LEVELS, the replay outcomes, ...
BUILT = {
    "adm.prole": list(PERSON_ROLES),
    "adm.level": list(UNIT_LEVELS),
    "adm.cat": ["working_hours", "working_days", "component", "event"],
    "adm.dl.outcome": ["stored", "duplicate", "conflict", "dead", "nothing", "applied", "rejected", "skipped"],
    "adm.dl.why": ["not_found", "truncated", "not_a_message", "error"],  # hub/mqtt/replay.py replay_many's skips
    "adm.dl.explain": ["stored", "duplicate", "conflict", "dead", "nothing", "applied", "rejected"],
    "adm.tab": ["people", "categories", "calendar", "operators", "deadletters", "accesslog"],
}


@needs_node
def test_admin_texts_are_complete_and_clash_with_nothing(tmp_path):
    result = run_in_node(tmp_path, ["i18n.js", "i18n_admin.js"], """
const { t, setLang, TEXT_CLASHES } = await import("./i18n.js");
const { ADMIN_TEXTS } = await import("./i18n_admin.js");
const keys = Object.keys(ADMIN_TEXTS["zh-CN"]);
const zh = Object.fromEntries(keys.map((k) => [k, t(k)]));
setLang("en");
const en = Object.fromEntries(keys.map((k) => [k, t(k)]));
console.log(JSON.stringify({ clashes: TEXT_CLASHES, zhKeys: keys, enKeys: Object.keys(ADMIN_TEXTS.en), zh, en }));
""")
    assert result["clashes"] == []
    assert sorted(result["zhKeys"]) == sorted(result["enKeys"])
    assert not {k.split(".")[0] for k in result["zhKeys"]} & {k.split(".")[0] for k in LABELS["zh-CN"]}
    used = set()
    for page in PAGES:
        used |= set(re.findall(r'"(adm\.[A-Za-z.]+)"', (STATIC / "pages" / f"{page}.js").read_text(encoding="utf-8")))
    used |= {f"{group}.{value}" for group, values in BUILT.items() for value in values}
    used |= {f"adm.cal.dow{d}" for d in range(1, 8)} | {"adm.cal.holiday", "adm.cal.workday", "nav.admin"}
    assert used - set(result["zhKeys"]) == set(), "keys the pages use but the catalogue lacks"
    head = "adm.prole.building_head"
    assert (result["zh"][head], result["en"][head]) == ("楼长", "Building head")
    assert all(result["en"][k] != k for k in result["zhKeys"])  # every key answers with a text, not itself
