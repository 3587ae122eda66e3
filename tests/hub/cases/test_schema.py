"""Migration 0003 creates exactly what hub/store/tables.py declares for cases, and downgrades cleanly."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.store import create_hub_engine, current_revision
from hub.store.migrate import alembic_config
from hub.store.tables import metadata

CASE_TABLES = {"cases", "case_events"}


# PostgreSQL spells this index's expression back with casts that Alembic does not normalise: compared by
# tests/hub/api/test_case_list.py instead (it exists, and the text search uses it).
UNCOMPARABLE = {"ix_cases_text_bigrams"}


def _case_objects_only(dialect: str):
    def include(obj, name, type_, reflected, compare_to) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)  # an index of one dialect only
        return table in CASE_TABLES and only_on in (None, dialect) and name not in UNCOMPARABLE
    return include


def test_migration_matches_tables_and_downgrades(store):
    engine = create_hub_engine(store.db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": _case_objects_only(conn.dialect.name)})
            diffs = compare_metadata(ctx, metadata)
        assert diffs or "sqlite" in store.db_url, "PostgreSQL reflects comments: expected comment-only diffs"
        # Column comments live only in tables.py (documentation); everything else must agree.
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert current_revision(store.db_url) == "0002"
        assert not CASE_TABLES & set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert CASE_TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
