"""cases and their append-only audit trail (case_events)

Revision ID: 0003
Revises: 0002
Create Date: 2024-07-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)
STATES = ("reported", "filed", "not_filed", "dispatched", "accepted", "arrived", "resolved", "verified",
          "closed", "suspended")


def _one_of(column, values, name):
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("suspended_from", sa.String(12)),
        sa.Column("category_code", sa.String(16), nullable=False),
        sa.Column("grid_code", sa.String(15)),
        sa.Column("community_code", sa.String(15)),
        sa.Column("level", sa.String(6), nullable=False),
        sa.Column("title", sa.String(128), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("accuracy_m", sa.Float),
        sa.Column("flagged_for_review", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("route_reason", sa.String(24)),
        sa.Column("source_record_id", sa.String(36), nullable=False, unique=True),
        sa.Column("report_count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("assignee", sa.String(64)),
        sa.Column("resolver", sa.String(64)),
        sa.Column("filed_at", TS),
        sa.Column("deadline", TS),
        sa.Column("suspended_at", TS),
        sa.Column("closed_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _one_of("state", STATES, "ck_cases_state"),
        _one_of("level", ("blue", "yellow", "red"), "ck_cases_level"),
    )
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_category_state", "cases", ["category_code", "state"])
    op.create_index("ix_cases_grid", "cases", ["grid_code"])

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", name="fk_case_events_case"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("transition", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("from_state", sa.String(12)),
        sa.Column("to_state", sa.String(12)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_device", sa.String(64)),
        sa.Column("assignee", sa.String(64)),
        sa.Column("category_code", sa.String(16)),
        sa.Column("at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("accuracy_m", sa.Float),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("evidence", sa.JSON),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("client_event_id", sa.String(64), unique=True),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
        _one_of("origin", ("api", "device", "system"), "ck_case_events_origin"),
        _one_of("outcome", ("applied", "rejected"), "ck_case_events_outcome"),
    )


def downgrade() -> None:
    op.drop_table("case_events")
    op.drop_table("cases")
