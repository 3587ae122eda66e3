"""protocol.labels: complete in every language, and labelling exactly the values the code has - the case states
and transitions of hub/cases/states.py, the protocol's levels, roles, severities and task reasons, the camera's
photo verdicts."""
import re
from typing import get_args

import pytest

from hub.cases import states, triage
from hub.store.vocabulary import CASE_SOURCES
from protocol import TASK_WHY_VALUES, Severity, TaskRole, labels
from protocol.labels import LABELS, LANGUAGES
from protocol.messages import CaseLevel
from terminal.camera import QualityIssue

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def group(prefix: str) -> set[str]:
    return {key.split(".", 1)[1] for key in LABELS["zh-CN"] if key.startswith(f"{prefix}.")}


def test_every_key_in_every_language_and_english_is_english():
    assert LANGUAGES == ("zh-CN", "en") and labels.DEFAULT_LANGUAGE == "zh-CN"
    assert set(LABELS) == set(LANGUAGES)
    assert set(LABELS["zh-CN"]) == set(LABELS["en"])
    for key in LABELS["zh-CN"]:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key), key  # source.open311
        zh, en = LABELS["zh-CN"][key], LABELS["en"][key]
        assert zh.strip() == zh and en.strip() == en and zh and en, key
        assert CJK.search(zh), f"{key}: the zh-CN text has no Chinese"
        assert not CJK.search(en), f"{key}: Chinese (or full-width punctuation) in the English text"


def test_states_and_transitions_are_exactly_those_of_the_state_machine():
    assert group("state") == states.OPEN | states.TERMINAL | {"suspended"}
    assert group("transition") == set(states.TRANSITIONS) | states.NON_STATE_EVENTS
    for name, rule in states.TRANSITIONS.items():  # the refusals in states.check() use rule.zh: the same word
        assert labels.transition_label(name) == rule.zh, name


def test_levels_roles_severities_and_photo_verdicts_are_the_codes_values():
    assert group("level") == set(get_args(CaseLevel))
    assert group("role") == {r.value for r in TaskRole}
    assert group("severity") == {s.value for s in Severity}
    assert group("photo") == {q.value for q in QualityIssue}


def test_case_sources_and_triage_reasons_are_the_hubs_values():
    assert group("source") == set(CASE_SOURCES)
    assert group("triage") == set(triage.REASONS)
    assert labels.triage_label("near_grid", "en").startswith("Position just outside")
    assert labels.source_label("hotline") == "热线转办"


def test_every_task_why_has_words_and_why_labels_name_only_real_values():
    assert group("why") <= TASK_WHY_VALUES
    for why in TASK_WHY_VALUES:
        for language in LANGUAGES:
            assert labels.why_label(why, language) != why, (why, language)
    assert labels.why_label("escalation", "en") == labels.transition_label("escalate", "en")


def test_lookups():
    assert labels.state_label("reported") == "已上报" and labels.state_label("reported", "en") == "Reported"
    assert labels.state_label("reported", "zh") == "已上报" and labels.state_label("closed", "en-GB") == "Closed"
    assert labels.role_label(TaskRole.VERIFIER, "en") == "Verify"
    assert labels.severity_label(Severity.URGENT) == "紧急"
    assert labels.photo_label(QualityIssue.TOO_DARK, "en").startswith("Photo is too dark")
    assert labels.level_label("red") == "红色预警" and labels.transition_label("file") == "立案"
    assert labels.state_label("archived") == "archived" and labels.why_label("brand_new") == "brand_new"
    assert labels.label("no.such_key", "en") == "no.such_key"
    assert labels.labels_with_prefix("level", "en") == {"blue": "Blue", "yellow": "Yellow", "red": "Red"}
    copy = labels.catalogue("en")
    copy["state.reported"] = "changed"
    assert labels.label("state.reported", "en") == "Reported"
    with pytest.raises(TypeError):
        LABELS["en"]["state.reported"] = "changed"  # type: ignore[index]
    with pytest.raises(ValueError):
        labels.label("state.reported", "fr")


def test_notice_categories_are_the_protocols_and_unknown_reads_as_general():
    from protocol import NOTICE_CATEGORIES

    assert group("notice") == set(NOTICE_CATEGORIES)
    assert labels.notice_category_label("finance") == "财务公开"
    assert labels.notice_category_label("finance", "en") == "Finances"
    assert labels.notice_category_label("not_yet_known", "en") == "Notices"
