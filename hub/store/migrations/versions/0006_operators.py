"""control-room operators and their sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)
ROLES = ("admin", "dispatcher", "supervisor", "viewer")


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False, server_default=""),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("scope_code", sa.String(15), sa.ForeignKey("units.code", name="fk_operators_scope"), nullable=False,
                  comment="sees and acts on this unit's subtree only"),
        sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", name="fk_operators_person"),
                  comment="the person whose name goes into case audit trails"),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", TS),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="ck_operators_role"),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True, comment="the token itself is never stored"),
        sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id", name="fk_operator_sessions_operator"),
                  nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_operator_sessions_operator", "operator_sessions", ["operator_id"])


def downgrade() -> None:
    op.drop_index("ix_operator_sessions_operator", "operator_sessions")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
