"""Migration 0015 creates exactly what hub/store/tables.py declares for deliberation, and downgrades cleanly."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.store import create_hub_engine, current_revision
from hub.store.migrate import alembic_config
from hub.store.tables import metadata

TABLES = {"deliberation_topics", "topic_comments", "votes", "kept_votes"}


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in TABLES


def test_migration_0015_matches_tables_and_downgrades(store):
    engine = create_hub_engine(store.db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _ours})
            diffs = compare_metadata(ctx, metadata)
        # Column comments live only in tables.py (documentation); everything else must agree.
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0014")
        assert current_revision(store.db_url) == "0014"
        assert not TABLES & set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
