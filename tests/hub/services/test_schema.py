"""Migration 0017 creates exactly what hub/store/tables.py declares for community services, and downgrades cleanly."""
from __future__ import annotations

from tests.hub.migration_checks import assert_migration_matches_and_downgrades

TABLES = {"service_routes", "service_requests", "service_checkins", "dispute_criteria", "dispute_plans", "disputes",
          "dispute_gradings", "home_visits"}


def test_migration_0017_matches_tables_and_downgrades(store):
    assert_migration_matches_and_downgrades(store.db_url, TABLES, "0016")
