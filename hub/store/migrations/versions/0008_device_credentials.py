"""device identity: enrolment codes, per-device broker credentials, revocation, flags

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)
STATES = ("pending", "active", "revoked")


def upgrade() -> None:
    op.create_table(
        "device_identities",
        sa.Column("device_id", sa.String(64), primary_key=True, comment="also its broker account and client id"),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("password_hash", sa.String(200),
                  comment="Mosquitto $7$ PBKDF2-SHA512; the password is never stored"),
        sa.Column("enroll_code_sha256", sa.String(64), unique=True, comment="one-time code, cleared when used"),
        sa.Column("enroll_expires_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("enrolled_at", TS),
        sa.Column("revoked_at", TS),
        sa.Column("revoked_by", sa.String(64)),
        sa.Column("revoke_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name="ck_device_identities_state"),
    )
    op.create_table(
        "device_flags",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.Column("last_dead_letter_id", sa.Integer, comment="the latest dead letter that raised it"),
        sa.Column("cleared_at", TS, comment="an admin looked into it; a later flag sets it back to NULL"),
        sa.Column("cleared_by", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("device_flags")
    op.drop_table("device_identities")
