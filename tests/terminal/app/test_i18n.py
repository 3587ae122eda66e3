"""One catalogue holds every string: complete in both languages, and every key the app uses exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from terminal.app.i18n import CATALOGUE, Translator

APP_DIR = Path(__file__).resolve().parents[3] / "terminal" / "app"
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_entry_has_chinese_and_english():
    for key, (zh, en) in CATALOGUE.items():
        assert zh.strip() and en.strip(), key
        assert re.findall(r"{(\w+)}", zh) == re.findall(r"{(\w+)}", en) or sorted(
            re.findall(r"{(\w+)}", zh)) == sorted(re.findall(r"{(\w+)}", en)), f"placeholders differ in {key}"
        assert not HAN.search(en) or key == "common.language", f"Chinese in the English text of {key}"


def used_keys() -> set[str]:
    keys = set()
    for path in list(APP_DIR.rglob("*.py")) + list(APP_DIR.rglob("*.kv")):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""(?:\.t|\btr|\.t\(|FlowRefused)\(\s*["']([a-z_]+\.[a-z_]+)["']""", text))
        keys |= set(re.findall(r"""['"]((?:report|tasks|checkin|patrol|kiosk|common|sync|notices)\.[a-z_]+)['"]""",
                               text))
    return {k for k in keys if not k.endswith((".kv", ".py", ".json"))}


def test_every_key_used_in_code_and_kv_is_in_the_catalogue():
    keys = used_keys()
    assert len(keys) > 60
    missing = sorted(k for k in keys if k not in CATALOGUE)
    assert not missing


def test_keys_built_from_protocol_values_exist():
    from typing import get_args

    from hub.cases.states import OPEN, TERMINAL
    from protocol import CaseActionKind, CheckinKind, Severity, TaskRole
    from protocol.messages import CaseLevel
    from terminal.camera import QualityIssue

    built = ([f"quality.{q.value}" for q in QualityIssue] + [f"severity.{s.value}" for s in Severity]
             + [f"checkin.{k.value}" for k in CheckinKind] + [f"tasks.{a.value}" for a in CaseActionKind]
             + [f"tasks.done_{a.value}" for a in CaseActionKind] + [f"role.{r.value}" for r in TaskRole]
             + [f"level.{level}" for level in get_args(CaseLevel)] + [f"app.{p}" for p in ("kiosk", "tablet", "phone")]
             + [f"state.{state}" for state in sorted(OPEN | TERMINAL | {"suspended"})])
    assert [k for k in built if k not in CATALOGUE] == []


def test_screens_and_kv_files_hold_no_literal_chinese():
    for path in list((APP_DIR / "ui").rglob("*.py")) + list((APP_DIR / "kv").glob("*.kv")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if HAN.search(line) and not line.strip().startswith("#")]
        # the full-width colon joins two catalogue texts; nothing else may be written in place
        assert all(set(HAN.findall(line)) == set() or "：" in line for line in lines), (path, lines)


def test_translator_switches_and_formats():
    tr = Translator()
    assert tr.language == "zh" and tr.t("sync.waiting", n=3) == "待上传 3 条"
    assert tr.toggle() == "en" and tr.t("sync.waiting", n=3) == "3 waiting"
    assert tr.pick("占道经营", "Street vending") == "Street vending"
    assert tr.pick("占道经营", "") == "占道经营"
    assert tr.t("no.such_key") == "no.such_key"
    with pytest.raises(ValueError):
        tr.set_language("fr")
