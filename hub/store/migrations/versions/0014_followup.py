"""follow-up after closing (回访): one row per closing of a case (whom to ask, until when, the answer) and the
outcome of each stored followup uplink record (applied, or why it was ignored)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_followups",
        sa.Column("id", sa.String(48), primary_key=True, comment="{case_id}:{round}"),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("round", sa.Integer, nullable=False, comment="1 for the first closing, +1 after each reopen"),
        sa.Column("reference", sa.String(24)),
        sa.Column("grid_code", sa.String(15)),
        sa.Column("community_code", sa.String(15)),
        sa.Column("category_code", sa.String(16), nullable=False),
        sa.Column("title", sa.String(128), nullable=False, server_default=""),
        sa.Column("resident_key", sa.String(64), comment="the reporter's card key (kiosk report with a card tap)"),
        sa.Column("state", sa.String(12), nullable=False, comment="pending | answered | not_reached | skipped"),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False, comment="closed_at + window (wall clock)"),
        sa.Column("prompted_at", TS, comment="prompts queued to the community's kiosks"),
        sa.Column("withdrawn_at", TS, comment="prompts taken back from the kiosks"),
        sa.Column("answer", sa.String(20), comment="satisfied | basically_satisfied | dissatisfied"),
        sa.Column("channel", sa.String(8), comment="kiosk | lookup | call"),
        sa.Column("answered_at", TS),
        sa.Column("answered_by", sa.String(64), comment="the kiosk's device id, or the calling operator's person"),
        sa.Column("operator_id", sa.String(36)),
        sa.Column("answer_record_id", sa.String(36), comment="the followup uplink record that answered"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0", comment="calls logged (未联系上 too)"),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "round", name="uq_case_followups_round"),
    )
    op.create_index("ix_case_followups_state_due", "case_followups", ["state", "due_at"])
    op.create_index("ix_case_followups_closed", "case_followups", ["closed_at"])
    op.create_table(
        "followup_answer_outcomes",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36)),
        sa.Column("outcome", sa.String(24), nullable=False,
                  comment="applied | already_answered | not_awaiting | ..."),
        sa.Column("at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("followup_answer_outcomes")
    op.drop_index("ix_case_followups_closed", table_name="case_followups")
    op.drop_index("ix_case_followups_state_due", table_name="case_followups")
    op.drop_table("case_followups")
