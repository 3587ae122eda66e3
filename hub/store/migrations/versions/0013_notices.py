"""notices (居务公开): a notice's current picture, every version's content, and each downlink queued for a kiosk

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

``notices`` holds what the fan-out and the live list filter on (current version, target unit, publish and expiry
times, withdrawal); ``notice_versions`` keeps every version's content (history survives amendment and withdrawal);
``notice_deliveries`` names each publish/withdraw downlink per kiosk and version, unique, so a pass that runs twice
queues nothing twice. Delivered/shown are not copied here: they are the downlink's own confirmations.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("target_code", sa.String(15), sa.ForeignKey("units.code", name="fk_notices_target"),
                  nullable=False),
        sa.Column("publish_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("withdrawn_at", TS),
        sa.Column("withdrawn_by", sa.String(36)),
    )
    op.create_index("ix_notices_live", "notices", ["withdrawn_at", "publish_at"])
    op.create_index("ix_notices_target", "notices", ["target_code"])
    op.create_table(
        "notice_versions",
        sa.Column("notice_id", sa.String(36), sa.ForeignKey("notices.id", name="fk_notice_versions_notice"),
                  primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("target_code", sa.String(15), nullable=False),
        sa.Column("publish_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("images", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
    )
    op.create_table(
        "notice_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notice_id", sa.String(36), sa.ForeignKey("notices.id", name="fk_notice_deliveries_notice"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("downlink_id", sa.String(36), nullable=False),
        sa.Column("queued_at", TS, nullable=False),
        sa.CheckConstraint("action IN ('publish', 'withdraw')", name="ck_notice_deliveries_action"),
        sa.UniqueConstraint("notice_id", "version", "device_id", "action", name="uq_notice_deliveries_once"),
    )
    op.create_index("ix_notice_deliveries_device", "notice_deliveries", ["device_id"])


def downgrade() -> None:
    op.drop_index("ix_notice_deliveries_device", table_name="notice_deliveries")
    op.drop_table("notice_deliveries")
    op.drop_table("notice_versions")
    op.drop_index("ix_notices_target", table_name="notices")
    op.drop_index("ix_notices_live", table_name="notices")
    op.drop_table("notices")
