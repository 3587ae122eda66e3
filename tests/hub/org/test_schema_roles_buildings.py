"""Migration 0016: the new roles and the building level are accepted, others still refused, 18-digit codes kept
(SQLite and PostgreSQL), and the revision downgrades and upgrades again."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from hub.store import create_hub_engine, current_revision
from hub.store.migrate import alembic_config
from tests.hub.migration_checks import schema_differences

ORG_TABLES = {"units", "people", "device_bindings"}
T0 = datetime(2026, 12, 6, tzinfo=UTC)
GRID, BUILDING = "440402004005001", "440402004005001012"


def _units(conn: sa.Connection) -> None:
    rows = [("440400", "city", None), ("440402", "district", "440400"), ("440402004", "street", "440402"),
            ("440402004005", "community", "440402004"), (GRID, "grid", "440402004005"), (BUILDING, "building", GRID)]
    for code, level, parent in rows:
        conn.execute(sa.text("INSERT INTO units (code, level, name, parent_code, created_at) "
                             "VALUES (:c, :l, :n, :p, :t)"), {"c": code, "l": level, "n": code, "p": parent, "t": T0})


def _person(conn: sa.Connection, pid: str, role: str, unit: str = BUILDING) -> None:
    conn.execute(sa.text("INSERT INTO people (id, name, role, unit_code) VALUES (:i, :i, :r, :u)"),
                 {"i": pid, "r": role, "u": unit})


def test_new_roles_and_buildings_are_stored_and_others_refused(store):
    assert schema_differences(store.db_url, ORG_TABLES) == []
    engine = create_hub_engine(store.db_url)
    try:
        with engine.begin() as conn:
            _units(conn)
            for role in ("building_head", "mediator", "legal_adviser", "helper", "community_secretary"):
                _person(conn, f"p-{role}", role)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT unit_code FROM people WHERE id = 'p-mediator'")).scalar() == BUILDING
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            _person(conn, "p-bad", "mayor")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO units (code, level, name, created_at) VALUES ('1', 'room', 'x', :t)"),
                         {"t": T0})
        with engine.begin() as conn:  # the old shape cannot hold the new rows: clear them first
            conn.execute(sa.text("DELETE FROM people"))
            conn.execute(sa.text("DELETE FROM units WHERE level = 'building'"))
            command.downgrade(alembic_config(conn), "0015")
        assert current_revision(store.db_url) == "0015"
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            _person(conn, "p-old", "mediator", GRID)
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
            _person(conn, "p-again", "mediator", GRID)
    finally:
        engine.dispose()
