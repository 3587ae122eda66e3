"""community services (issue 18): service routes and requests, disputes with a plan per colour, home visits

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

``service_routes`` says which role takes a unit's service requests of a kind; ``service_requests`` links every
service case to its check-in or home-visit need; ``service_checkins`` marks the kiosk check-ins the service intake
has looked at; ``dispute_criteria`` / ``dispute_plans`` are the admin-edited assessment and plan per colour;
``disputes`` and ``dispute_gradings`` the register and its re-grading log; ``home_visits`` the visit diary.
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)
COLOURS = "('blue', 'yellow', 'red')"


def upgrade() -> None:
    op.create_table(
        "service_routes",
        sa.Column("unit_code", sa.String(18), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("role", sa.String(20)),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=False, server_default=""),
    )
    op.create_table(
        "service_requests",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=False, unique=True),
        sa.Column("visit_id", sa.String(36)),
        sa.Column("unit_code", sa.String(18)),
        sa.Column("community_code", sa.String(18)),
        sa.Column("need_level", sa.String(12)),
        sa.Column("routed_role", sa.String(20)),
        sa.Column("routed_to", sa.String(64)),
        sa.Column("resident_key", sa.String(64)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("outcome_at", TS),
        sa.Column("outcome_by", sa.String(64)),
    )
    op.create_index("ix_service_requests_visit", "service_requests", ["visit_id"])
    op.create_index("ix_service_requests_kind_created", "service_requests", ["kind", "created_at"])
    op.create_table(
        "service_checkins",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(36)),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "dispute_criteria",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("colour", sa.String(6), nullable=False),
        sa.Column("label_zh", sa.String(128), nullable=False),
        sa.Column("label_en", sa.String(256), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="ck_dispute_criteria_colour"),
    )
    op.create_table(
        "dispute_plans",
        sa.Column("colour", sa.String(6), primary_key=True),
        sa.Column("lead_role", sa.String(20), nullable=False),
        sa.Column("informed_roles", sa.JSON, nullable=False),
        sa.Column("visit_interval_days", sa.Integer, nullable=False),
        sa.Column("time_limit_days", sa.Integer, nullable=False),
        sa.Column("escalate_to", sa.String(12)),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=False, server_default=""),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="ck_dispute_plans_colour"),
    )
    op.create_table(
        "disputes",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("dispute_type", sa.String(32), nullable=False),
        sa.Column("parties", sa.JSON, nullable=False),
        sa.Column("criteria", sa.JSON, nullable=False),
        sa.Column("colour", sa.String(6), nullable=False),
        sa.Column("lead", sa.String(64)),
        sa.Column("informed", sa.JSON, nullable=False),
        sa.Column("visit_interval_days", sa.Integer, nullable=False),
        sa.Column("time_limit_days", sa.Integer, nullable=False),
        sa.Column("escalate_to", sa.String(12)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("agreement", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome_at", TS),
        sa.Column("followup_due_at", TS),
        sa.Column("followup_done_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="ck_disputes_colour"),
    )
    op.create_table(
        "dispute_gradings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("from_colour", sa.String(6)),
        sa.Column("to_colour", sa.String(6), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_dispute_gradings_case", "dispute_gradings", ["case_id"])
    op.create_table(
        "home_visits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("worker", sa.String(64)),
        sa.Column("grid_code", sa.String(18)),
        sa.Column("building_code", sa.String(18)),
        sa.Column("household_key", sa.String(64)),
        sa.Column("met", sa.String(32), nullable=False, server_default=""),
        sa.Column("private_note", sa.Text, nullable=False, server_default=""),
        sa.Column("needs", sa.Integer, nullable=False, server_default="0"),
        sa.Column("visited_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_index("ix_home_visits_grid_visited", "home_visits", ["grid_code", "visited_at"])


def downgrade() -> None:
    for table in ("home_visits", "dispute_gradings", "disputes", "dispute_plans", "dispute_criteria",
                  "service_checkins", "service_requests", "service_routes"):
        op.drop_table(table)
