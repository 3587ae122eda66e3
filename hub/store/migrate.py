"""Run the packaged Alembic migrations programmatically (at hub startup and from ``gridline hub migrate``)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from hub.store.engine import create_hub_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(db_url: str, revision: str = "head") -> None:
    """Bring the database at ``db_url`` to ``revision``; safe to call on every start."""
    engine = create_hub_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        engine.dispose()


def current_revision(db_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_hub_engine(db_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
