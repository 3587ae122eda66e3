"""welfare watch (1+1+N): enrolments and daily checks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    pass  # filled in with the tables of this revision


def downgrade() -> None:
    pass
