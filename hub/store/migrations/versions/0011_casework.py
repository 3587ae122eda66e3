"""casework: human case references, where a case came from, the report's urgency, triage candidates and merges,
urgent alarms, the working calendar's local overrides, and indexes for the case list

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)
DAY_KINDS = ("workday", "holiday")
CASE_COLUMNS: tuple[tuple[str, Any, dict[str, Any]], ...] = (
    ("reference", sa.String(24), {"comment": "FS-20261204-0042: community, local day, counter (unique)"}),
    ("receipt_code", sa.String(8), {"comment": "the last 6 hex digits of the report's record id: what the kiosk "
                                               "showed the resident"}),
    ("source", sa.String(16), {"nullable": False, "server_default": "device",
                               "comment": "device | open311 | phone | walk_in | hotline | patrol | system"}),
    ("severity", sa.String(8), {"comment": "the reporter's urgency: low | normal | high | urgent"}),
    ("route_candidates", sa.JSON, {"comment": "[{grid, share}] when routing was unsure (triage)"}),
    ("merged_into", sa.String(36), {"comment": "the case a triaged report was merged into"}),
    ("alarm_at", TS, {"comment": "an urgent case's alarm, on the dashboard until acknowledged"}),
    ("alarm_acked_at", TS, {}),
    ("alarm_acked_by", sa.String(64), {}),
)
INDEXES = (
    ("uq_cases_reference", ["reference"], True),
    ("ix_cases_receipt_code", ["receipt_code"], False),
    ("ix_cases_created", ["created_at", "id"], False),
    ("ix_cases_state_created", ["state", "created_at", "id"], False),
    ("ix_cases_grid_created", ["grid_code", "created_at", "id"], False),
    ("ix_cases_assignee", ["assignee"], False),
    ("ix_cases_alarm", ["alarm_at", "alarm_acked_at"], False),
)


def upgrade() -> None:
    op.add_column("units", sa.Column("abbr", sa.String(8), comment="a community's prefix for case references, e.g. FS"))
    # Plain ADD COLUMNs, no CHECK on source: SQLite would have to copy the table (with every case event pointing at
    # it); the vocabulary is checked in code (hub/store/vocabulary.py CASE_SOURCES).
    for name, type_, options in CASE_COLUMNS:
        op.add_column("cases", sa.Column(name, type_, **options))
    for name, columns, unique in INDEXES:
        op.create_index(name, "cases", columns, unique=unique)
    op.create_table(
        "case_reference_counters",
        sa.Column("prefix", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True, comment="local day in the deployment's zone"),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False, comment="workday: worked although the official calendar says "
                                                                "off; holiday: off although it says worked"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(f"kind IN ({', '.join(repr(k) for k in DAY_KINDS)})", name="ck_calendar_days_kind"),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
    op.drop_table("case_reference_counters")
    for name, _columns, _unique in reversed(INDEXES):
        op.drop_index(name, "cases")
    with op.batch_alter_table("cases") as batch:
        for name, _type, _options in reversed(CASE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("units") as batch:
        batch.drop_column("abbr")
