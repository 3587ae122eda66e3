"""initial schema: records, photos, photo_chunks, devices, downlinks, dead_letters

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here on purpose: later changes to hub/store/tables.py need a new revision, not an edit.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("device_time", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_index("ix_records_device_seq", "records", ["device_id", "seq"])
    op.create_index("ix_records_kind_received", "records", ["kind", "received_at"])
    op.create_index("ix_records_received", "records", ["received_at", "id"])

    op.create_table(
        "photos",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("mime", sa.String(32), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("completed_at", TS, nullable=False),
    )
    op.create_table(
        "photo_chunks",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total_size", sa.Integer, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False, server_default="offline"),
        sa.Column("last_seen", TS),
        sa.Column("status_at", TS),
        sa.Column("outbox_depth", sa.Integer),
        sa.Column("photos_pending", sa.Integer),
        sa.Column("battery_pct", sa.Float),
        sa.Column("app_version", sa.String(40)),
        sa.Column("clock_skew_ms", sa.BigInteger),
        sa.Column("first_seen", TS, nullable=False),
    )
    op.create_table(
        "downlinks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("state", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("send_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_sent_at", TS),
        sa.Column("delivered_at", TS),
        sa.Column("read_at", TS),
    )
    op.create_index("ix_downlinks_device_state", "downlinks", ["device_id", "state"])
    op.create_index("ix_downlinks_state_sent", "downlinks", ["state", "last_sent_at"])

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("payload_size", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("device_id", sa.String(64)),
    )
    op.create_index("ix_dead_letters_received", "dead_letters", ["received_at"])
    op.create_index("ix_dead_letters_reason", "dead_letters", ["reason"])


def downgrade() -> None:
    for table in ("dead_letters", "downlinks", "devices", "photo_chunks", "photos", "records"):
        op.drop_table(table)
