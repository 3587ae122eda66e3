"""Migration 0019 creates exactly what hub/store/tables.py declares for issue 20's administration (people off duty,
dead-letter replays), and downgrades cleanly. SQLite and PostgreSQL."""
from __future__ import annotations

from tests.hub.migration_checks import assert_migration_matches_and_downgrades

TABLES = {"people_inactive", "dead_letter_replays"}


def test_migration_0019_matches_tables_and_downgrades(store):
    assert_migration_matches_and_downgrades(store.db_url, TABLES, "0018")
