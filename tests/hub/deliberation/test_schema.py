"""Migration 0015 creates exactly what hub/store/tables.py declares for deliberation, and downgrades cleanly."""
from __future__ import annotations

from tests.hub.migration_checks import assert_migration_matches_and_downgrades

TABLES = {"deliberation_topics", "topic_comments", "votes", "kept_votes"}


def test_migration_0015_matches_tables_and_downgrades(store):
    assert_migration_matches_and_downgrades(store.db_url, TABLES, "0014")
