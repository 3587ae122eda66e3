"""What every migration test asks: does the migrated database hold exactly what hub/store/tables.py declares for a
domain's tables, and does the revision go down and up again cleanly (SQLite and PostgreSQL: the ``store`` fixture)."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub.store import create_hub_engine, current_revision
from hub.store.migrate import alembic_config
from hub.store.tables import metadata


def schema_differences(db_url: str, tables: set[str]) -> list:
    """Alembic's differences between the database and tables.py for ``tables``, column comments left out (they live
    only in tables.py, as documentation; PostgreSQL reflects them, SQLite does not)."""
    def ours(obj, name, type_, reflected, compare_to) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in tables

    engine = create_hub_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
            diffs = compare_metadata(ctx, metadata)
    finally:
        engine.dispose()
    return [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")]


def assert_migration_matches_and_downgrades(db_url: str, tables: set[str], previous: str) -> None:
    """The tables agree with tables.py; down to ``previous`` they are gone; up to head they are back."""
    assert schema_differences(db_url, tables) == []
    engine = create_hub_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), previous)
        assert current_revision(db_url) == previous
        assert not tables & set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert tables <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
