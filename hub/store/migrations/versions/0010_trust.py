"""trust: the account behind each API case event, sign-in throttling per account and client address, the
public (moderated) description Open311 publishes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): later changes to hub/store/tables.py need a new revision.
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("case_events", sa.Column("operator_id", sa.String(36),
                                           comment="the signed-in account behind an API event (audit; one account "
                                                   "may not resolve and verify one case)"))
    op.add_column("cases", sa.Column("public_note", sa.Text,
                                     comment="the description Open311 publishes, approved by an operator; "
                                             "NULL: the report's text, redacted"))
    op.add_column("cases", sa.Column("public_note_by", sa.String(64)))
    op.add_column("cases", sa.Column("public_note_at", TS))
    op.create_table(
        "sign_in_throttle",
        sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id", name="fk_sign_in_throttle_operator"),
                  primary_key=True),
        sa.Column("client", sa.String(64), primary_key=True, comment="client address ('*' = every address)"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0",
                  comment="wrong passwords since the last success or lock"),
        sa.Column("lockouts", sa.Integer, nullable=False, server_default="0",
                  comment="locks in a row: each one lasts twice as long"),
        sa.Column("locked_until", TS),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("public_note_at")
        batch.drop_column("public_note_by")
        batch.drop_column("public_note")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("operator_id")
