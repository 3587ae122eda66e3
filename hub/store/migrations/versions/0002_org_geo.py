"""organisation and geography: units (city → grid), people, device_bindings, categories

Revision ID: 0002
Revises: 0001
Create Date: 2024-06-15
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def _one_of(column, values, name):
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(15), primary_key=True),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("parent_code", sa.String(15), sa.ForeignKey("units.code", name="fk_units_parent")),
        sa.Column("geometry", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        _one_of("level", ("city", "district", "street", "community", "grid"), "ck_units_level"),
    )
    op.create_index("ix_units_parent", "units", ["parent_code"])
    op.create_index("ix_units_level", "units", ["level"])

    op.create_table(
        "people",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_code", sa.String(15), sa.ForeignKey("units.code", name="fk_people_unit"), nullable=False),
        sa.Column("phone_device_id", sa.String(64)),
        _one_of("role", ("grid_leader", "grid_worker", "patrol_volunteer", "dispatcher", "supervisor", "handler"),
                "ck_people_role"),
    )
    op.create_index("ix_people_unit", "people", ["unit_code"])

    op.create_table(
        "device_bindings",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("unit_code", sa.String(15), sa.ForeignKey("units.code", name="fk_device_bindings_unit"),
                  nullable=False),
        sa.Column("owner_person_id", sa.String(64), sa.ForeignKey("people.id", name="fk_device_bindings_owner")),
        _one_of("kind", ("kiosk", "tablet", "phone"), "ck_device_bindings_kind"),
    )
    op.create_index("ix_device_bindings_unit", "device_bindings", ["unit_code"])

    op.create_table(
        "categories",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("major_code", sa.String(4), nullable=False),
        sa.Column("minor_code", sa.String(4), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("filing_conditions", sa.Text, nullable=False, server_default=""),
        sa.Column("closing_conditions", sa.Text, nullable=False, server_default=""),
        sa.Column("time_limit_value", sa.Integer, nullable=False),
        sa.Column("time_limit_unit", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64)),
        sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        _one_of("kind", ("component", "event"), "ck_categories_kind"),
        _one_of("time_limit_unit", ("working_hours", "working_days"), "ck_categories_time_unit"),
        sa.CheckConstraint("time_limit_value > 0", name="ck_categories_time_positive"),
    )


def downgrade() -> None:
    for table in ("categories", "device_bindings", "people", "units"):
        op.drop_table(table)
