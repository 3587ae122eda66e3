"""The schema's value sets (hub/store/vocabulary.py) and protocol's label catalogue name the same things: every
state, level and task role the database accepts has a zh-CN and an English label, and nothing more."""
from __future__ import annotations

import pytest

from hub.store.vocabulary import CASE_LEVELS, CASE_STATES, TASK_ROLES
from protocol.labels import LANGUAGES, labels_with_prefix


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("group", "values"), [("state", CASE_STATES), ("level", CASE_LEVELS), ("role", TASK_ROLES)])
def test_vocabulary_and_labels_agree(group, values, lang):
    assert set(labels_with_prefix(group, lang)) == set(values)
