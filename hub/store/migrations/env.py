"""Alembic environment: always given a live connection by ``hub.store.migrate`` (no alembic.ini)."""
from __future__ import annotations

from alembic import context

from hub.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through hub.store.migrate.upgrade(db_url)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER needs table rebuilds
)
with context.begin_transaction():
    context.run_migrations()
