"""Migration 0013 creates exactly what hub/store/tables.py declares for notices (SQLite and PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.store import create_hub_engine
from hub.store.tables import metadata

NOTICE_TABLES = {"notices", "notice_versions", "notice_deliveries"}


def test_migration_0013_matches_tables(store):
    engine = create_hub_engine(store.db_url)
    try:
        with engine.connect() as conn:
            def include(obj, name, type_, reflected, compare_to) -> bool:
                table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
                return table in NOTICE_TABLES

            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
            diffs = compare_metadata(ctx, metadata)
            tables = set(conn.dialect.get_table_names(conn))
        assert NOTICE_TABLES <= tables
        # Column comments live only in tables.py (documentation); everything else must agree.
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
    finally:
        engine.dispose()
