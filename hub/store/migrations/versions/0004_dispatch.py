"""task deliveries to devices and escalations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def _one_of(column, values, name):
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


def upgrade() -> None:
    op.add_column("cases", sa.Column("escalation_level", sa.String(12)))
    op.add_column("cases", sa.Column("escalated_at", TS))

    op.create_table(
        "task_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", name="fk_task_deliveries_case"),
                  nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64)),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("downlink_id", sa.String(36), nullable=False),
        sa.Column("case_version", sa.Integer, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.Column("delivered_at", TS),
        sa.Column("read_at", TS),
        sa.Column("accepted_at", TS),
        sa.Column("resend_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resent_at", TS),
        sa.Column("escalated_at", TS),
        sa.Column("withdrawn_at", TS),
        _one_of("role", ("handler", "verifier", "informed"), "ck_task_deliveries_role"),
    )
    op.create_index("ix_task_deliveries_case", "task_deliveries", ["case_id"])
    op.create_index("ix_task_deliveries_open", "task_deliveries", ["withdrawn_at", "role"])

    op.create_table(
        "dispatch_marks",
        sa.Column("event_id", sa.Integer, sa.ForeignKey("case_events.id", name="fk_dispatch_marks_event"),
                  primary_key=True, autoincrement=False),
        sa.Column("processed_at", TS, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False, server_default=""),
    )

    op.create_table(
        "action_outcomes",
        sa.Column("record_id", sa.String(36), sa.ForeignKey("records.id", name="fk_action_outcomes_record"),
                  primary_key=True),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("case_event_id", sa.Integer),
        sa.Column("processed_at", TS, nullable=False),
        _one_of("outcome", ("applied", "rejected", "dead"), "ck_action_outcomes_outcome"),
    )

    op.create_table(
        "department_contacts",
        sa.Column("department", sa.String(64), primary_key=True),
        sa.Column("unit_code", sa.String(15), sa.ForeignKey("units.code", name="fk_department_contacts_unit"),
                  primary_key=True),
        sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", name="fk_department_contacts_person"),
                  primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("department_contacts")
    op.drop_table("action_outcomes")
    op.drop_table("dispatch_marks")
    op.drop_table("task_deliveries")
    # Plain ALTER TABLE DROP COLUMN (SQLite >= 3.35): a batch rebuild of 'cases' would trip the
    # foreign key from case_events.
    op.drop_column("cases", "escalated_at")
    op.drop_column("cases", "escalation_level")
