"""people roles for services, watch and administration; buildings (楼栋) below the grid

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

Services (法律顾问, 调委会, 物业), the 1+1+N watch (helpers) and the admin pages need more roles than the
original six; a building is a unit one level below its grid, its code the grid's 15 digits + a 3-digit serial,
so the unit columns that may name a building grow to 18 characters.
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/vocabulary.py need a new revision.
OLD_ROLES = ("grid_leader", "grid_worker", "patrol_volunteer", "dispatcher", "supervisor", "handler")
NEW_ROLES = (*OLD_ROLES, "building_head", "legal_adviser", "mediator", "property_contact", "helper",
             "department_contact", "community_staff", "community_secretary", "committee_member", "street_staff")
OLD_LEVELS = ("city", "district", "street", "community", "grid")
NEW_LEVELS = (*OLD_LEVELS, "building")
CHECKS = (("units", "level", "ck_units_level"), ("people", "role", "ck_people_role"))
# (table, column, nullable) of the columns that may hold a building's code.
UNIT_COLUMNS = (("units", "code", False), ("units", "parent_code", True), ("people", "unit_code", False),
                ("device_bindings", "unit_code", False))


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _rewrite_sqlite_schema(levels: tuple[str, ...], roles: tuple[str, ...], width: int) -> None:
    # SQLite cannot alter a CHECK or a column type in place, and batch mode's copy-and-rename would DROP units and
    # people, which the foreign keys of every other table forbid. SQLite's documented procedure for changes that
    # leave the stored rows valid (a wider CHECK, a longer VARCHAR, which SQLite does not enforce anyway) is to edit
    # the schema text and bump the schema version (sqlite.org/lang_altertable.html, "other kinds of changes").
    conn = op.get_bind()
    values = {"level": levels, "role": roles}
    op.execute("PRAGMA writable_schema = ON")
    for table in ("units", "people", "device_bindings"):
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                           {"t": table}).scalar_one()
        for check_table, column, name in CHECKS:
            if check_table == table:
                sql = re.sub(rf"CONSTRAINT {name} CHECK \({column} IN \([^)]*\)\)",
                             f"CONSTRAINT {name} CHECK ({_one_of(column, values[column])})", sql)
        for column_table, column, _nullable in UNIT_COLUMNS:
            if column_table == table:
                sql = re.sub(rf"\b{column} VARCHAR\(\d+\)", f"{column} VARCHAR({width})", sql)
        conn.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
                     {"sql": sql, "t": table})
    version = conn.execute(sa.text("PRAGMA schema_version")).scalar_one()
    op.execute(f"PRAGMA schema_version = {int(version) + 1}")
    op.execute("PRAGMA writable_schema = OFF")


def _reshape(levels: tuple[str, ...], roles: tuple[str, ...], width: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_sqlite_schema(levels, roles, width)
        return
    for table, column, name in CHECKS:
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, _one_of(column, {"level": levels, "role": roles}[column]))
    for table, column, nullable in UNIT_COLUMNS:
        op.alter_column(table, column, type_=sa.String(width), existing_nullable=nullable)


def upgrade() -> None:
    _reshape(NEW_LEVELS, NEW_ROLES, 18)


def downgrade() -> None:
    _reshape(OLD_LEVELS, OLD_ROLES, 15)
