"""access audit log: who viewed or changed what through the API; Open311 API keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False, comment="when the request arrived"),
        sa.Column("operator_id", sa.String(36), comment="signed-in operator; NULL = anonymous or an API key"),
        sa.Column("api_key_id", sa.String(36), comment="Open311 client key, for its POSTs"),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("route", sa.String(200), nullable=False, comment="route template, e.g. /api/cases/{case_id}"),
        sa.Column("resource_ids", sa.JSON, nullable=False, comment="path parameters and ids the endpoint noted"),
        sa.Column("status", sa.Integer, nullable=False, comment="HTTP status of the response"),
        sa.Column("client_addr", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_index("ix_access_log_operator_at", "access_log", ["operator_id", "at"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, comment="whose client this is"),
        sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(36), sa.ForeignKey("operators.id", name="fk_api_keys_operator"),
                  nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_index("ix_access_log_operator_at", "access_log")
    op.drop_index("ix_access_log_at", "access_log")
    op.drop_table("access_log")
