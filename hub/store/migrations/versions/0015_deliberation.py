"""deliberation (议事): topics, comments, votes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

``deliberation_topics`` holds a topic, its vote's settings and its resolution; ``topic_comments`` every comment
(private until approved); ``votes`` every vote record as processed (the audit); ``kept_votes`` the one counted vote
per (topic, card), its primary key the guard that keeps the tally exact when two hub workers meet on one card.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deliberation_topics",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_code", sa.String(15), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("background", sa.Text, nullable=False, server_default=""),
        sa.Column("images", sa.JSON, nullable=False),
        sa.Column("comments_until", TS, nullable=False),
        sa.Column("vote", sa.JSON),
        sa.Column("representatives", sa.JSON),
        sa.Column("eligible_count", sa.Integer),
        sa.Column("vote_closed_at", TS),
        sa.Column("resolution", sa.Text, nullable=False, server_default=""),
        sa.Column("notice_id", sa.String(64)),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_deliberation_topics_unit", "deliberation_topics", ["unit_code"])
    op.create_table(
        "topic_comments",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("topic_id", sa.String(36), nullable=False),
        sa.Column("resident_key", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("made_at", TS, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("moderated_by", sa.String(36)),
        sa.Column("moderated_at", TS),
    )
    op.create_index("ix_topic_comments_topic_state", "topic_comments", ["topic_id", "state"])
    op.create_table(
        "votes",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("topic_id", sa.String(36), nullable=False),
        sa.Column("resident_key", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("option", sa.String(16), nullable=False),
        sa.Column("device_time", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered", sa.String(16)),
        sa.Column("processed_at", TS, nullable=False),
    )
    op.create_index("ix_votes_card", "votes", ["topic_id", "resident_key"])
    op.create_table(
        "kept_votes",
        sa.Column("topic_id", sa.String(36), primary_key=True),
        sa.Column("resident_key", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("option", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("device_time", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kept_votes")
    op.drop_index("ix_votes_card", table_name="votes")
    op.drop_table("votes")
    op.drop_index("ix_topic_comments_topic_state", table_name="topic_comments")
    op.drop_table("topic_comments")
    op.drop_index("ix_deliberation_topics_unit", table_name="deliberation_topics")
    op.drop_table("deliberation_topics")
