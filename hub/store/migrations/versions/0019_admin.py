"""administration (issue 20): people taken off duty, dead-letter replays

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

``people_inactive`` marks a person off duty (kept for the trails, sent no new task); ``dead_letter_replays`` is
each replay of a dead letter by an admin through the normal ingest path, with its outcome.
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people_inactive",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("since", TS, nullable=False),
        sa.Column("by_operator", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
    )
    op.create_table(
        "dead_letter_replays",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dead_letter_id", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("by_operator", sa.String(36), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("new_dead_letter_id", sa.Integer),
    )
    op.create_index("ix_dead_letter_replays_letter", "dead_letter_replays", ["dead_letter_id"])


def downgrade() -> None:
    op.drop_index("ix_dead_letter_replays_letter", table_name="dead_letter_replays")
    op.drop_table("dead_letter_replays")
    op.drop_table("people_inactive")
