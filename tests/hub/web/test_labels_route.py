"""The dashboard's shared words come from protocol.labels: the hub serves them as the ES module /app/labels.js,
i18n.js imports it and keeps only the dashboard's own screen texts (no key of a shared group, so nothing can drift),
and t() in a real JS engine (node) answers with the protocol's words in both languages."""
from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.web import LABELS_MODULE_PATH, WEB_DIR, mount_dashboard
from protocol.labels import LABELS
from tests.hub.web.node_runner import needs_node, run_in_node

STATIC = WEB_DIR / "static"
SHARED_GROUPS = {key.split(".")[0] for key in LABELS["zh-CN"]}


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    mount_dashboard(app)
    with TestClient(app) as test_client:
        yield test_client


def served_catalogue(text: str) -> dict:
    body = re.fullmatch(r"//[^\n]*\nexport const LABELS = Object\.freeze\((.*)\);\n", text, re.S)
    assert body, text[:200]
    return json.loads(body.group(1))


def test_the_hub_serves_protocol_labels_as_an_es_module_and_revalidates_it(client):
    first = client.get(LABELS_MODULE_PATH)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/javascript")
    assert served_catalogue(first.text) == {language: dict(texts) for language, texts in LABELS.items()}
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(LABELS_MODULE_PATH, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/app/i18n.js").status_code == 200  # the static files are still there, beside it


def test_no_labels_file_in_the_static_files_and_i18n_imports_the_served_one():
    assert not (STATIC / "labels.js").exists()  # it would be shadowed by the route and could only mislead
    assert 'import { LABELS } from "./labels.js";' in (STATIC / "i18n.js").read_text(encoding="utf-8")


def own_keys() -> dict[str, set[str]]:
    """{language: keys} of the dashboard's own catalogue in i18n.js."""
    text = (STATIC / "i18n.js").read_text(encoding="utf-8")
    own = text.split("const OWN = {", 1)[1].split("\n};", 1)[0]
    blocks = dict(re.findall(r'^  "?([\w-]+)"?: \{(.*?)^  \},', own, flags=re.S | re.M))
    return {language: set(re.findall(r'"([\w]+\.[\w]+)":', body)) for language, body in blocks.items()}


def test_the_dashboard_keeps_only_its_own_texts_complete_in_both_languages():
    keys = own_keys()
    assert set(keys) == set(LABELS) and keys["zh-CN"] == keys["en"] and len(keys["en"]) > 80
    assert not {k for k in keys["zh-CN"] if k.split(".")[0] in SHARED_GROUPS}, "a shared word copied into i18n.js"


def test_every_label_group_the_dashboard_builds_keys_from_is_in_the_catalogue():
    used = set()
    for path in STATIC.rglob("*.js"):
        used |= set(re.findall(r"""t\(\s*[`"']([a-z]+)\.(?:\$\{|["'` ]\s*\+)""", path.read_text(encoding="utf-8")))
    own = {key.split(".")[0] for key in own_keys()["zh-CN"]}  # the dashboard's own groups (live.open, kind.kiosk)
    assert {"state", "transition", "level", "source", "severity", "triage"} <= used, used
    assert used - own <= SHARED_GROUPS, used - own - SHARED_GROUPS


@needs_node
def test_t_in_a_js_engine_answers_with_the_protocol_words(tmp_path):
    result = run_in_node(tmp_path, ["i18n.js"], """
const { t, setLang } = await import("./i18n.js");
const keys = ["state.reported", "transition.duplicate", "level.yellow", "feed.welfare", "nav.map", "no.such"];
const zh = keys.map((k) => t(k));
setLang("en");
console.log(JSON.stringify({ zh, en: keys.map((k) => t(k)) }));
""")
    assert result["zh"][:3] == [LABELS["zh-CN"]["state.reported"], LABELS["zh-CN"]["transition.duplicate"],
                                LABELS["zh-CN"]["level.yellow"]]
    assert result["en"][:3] == [LABELS["en"]["state.reported"], LABELS["en"]["transition.duplicate"],
                                LABELS["en"]["level.yellow"]]
    assert result["zh"][3:] == ["独居老人未签到", "实时地图", "no.such"]
    assert result["en"][3:] == ["Missed elderly check-in", "Live map", "no.such"]
