"""welfare watch (1+1+N): enrolments and daily checks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "welfare_enrolments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_key", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(64), nullable=False, server_default=""),
        sa.Column("grid_code", sa.String(15), sa.ForeignKey("units.code", name="fk_welfare_enrolments_grid"),
                  nullable=False),
        sa.Column("window_start", sa.Time, nullable=False),
        sa.Column("window_end", sa.Time, nullable=False),
        sa.Column("weekdays", sa.String(7), nullable=False, server_default="1234567"),
        sa.Column("primary_helper", sa.String(64), sa.ForeignKey("people.id", name="fk_welfare_enrolments_primary"),
                  nullable=False),
        sa.Column("second_helper", sa.String(64), sa.ForeignKey("people.id", name="fk_welfare_enrolments_second")),
        sa.Column("informed", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("active_since", TS, nullable=False),
        sa.Column("paused_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("paused_until", sa.Date),
        sa.Column("enrolled_by", sa.String(64), nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("window_start < window_end", name="ck_welfare_enrolments_window"),
    )
    op.create_index("ix_welfare_enrolments_grid", "welfare_enrolments", ["grid_code"])

    op.create_table(
        "welfare_checks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("enrolment_id", sa.String(36),
                  sa.ForeignKey("welfare_enrolments.id", name="fk_welfare_checks_enrolment"), nullable=False),
        sa.Column("resident_key", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("checkin_record_id", sa.String(36)),
        sa.Column("checkin_at", TS),
        sa.Column("late_record_id", sa.String(36)),
        sa.Column("late_at", TS),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", name="fk_welfare_checks_case")),
        sa.Column("evaluated_at", TS, nullable=False),
        sa.UniqueConstraint("resident_key", "day", name="uq_welfare_checks_resident_day"),
        sa.CheckConstraint("status IN ('checked_in', 'missed')", name="ck_welfare_checks_status"),
    )
    op.create_index("ix_welfare_checks_day", "welfare_checks", ["day"])
    op.create_index("ix_welfare_checks_status", "welfare_checks", ["status", "case_id"])


def downgrade() -> None:
    op.drop_table("welfare_checks")
    op.drop_table("welfare_enrolments")
