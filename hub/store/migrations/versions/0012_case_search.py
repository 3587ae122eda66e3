"""case search: indexes for the case list's filters and sorts, the lookup of a duplicate report's receipt code, and
(PostgreSQL with pg_trgm) substring search of references, titles and notes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

What each index is for (``hub/cases/views_repo.py``; chosen with EXPLAIN over 1,000,000 cases, see
``benchmarks/case_search.py``):

- ``ix_cases_place_created``: a case's place is its grid, else its community (属地兜底): the unit a scope or a unit
  filter tests, the same rule as the single-case check. One branch per place, newest first, merges into a page
  without sorting a community's whole history; on PostgreSQL it also carries the two columns so a count is an
  index-only scan.
- ``ix_cases_open_place`` / ``ix_cases_open_deadline``: the same, and deadlines, over the cases not yet closed (a few
  percent of them): open lists, the overdue preset and deadline order. Queries repeat the partial condition
  verbatim so SQLite (which matches terms, it does not prove implications) uses them too.
- ``ix_case_events_duplicate_receipt``: the last six characters of a duplicate report's intake event key
  (``report:<record id>``): what the kiosk showed a resident whose report joined an open case.
- ``ix_cases_text_trgm`` (PostgreSQL, when the pg_trgm extension can be installed): ``ILIKE '%...%'`` on reference,
  title and note from a GIN trigram index for searches of three characters or more. Without it (SQLite, or no
  pg_trgm) a text search reads the scope's cases newest first until the page is full.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): the query side (hub/cases/views_repo.py) spells the same expressions.
PLACE = "coalesce(grid_code, community_code)"
NOT_CLOSED = "state NOT IN ('closed', 'not_filed')"
RECEIPT = "substr(client_event_id, length(client_event_id) - 5)"
DUPLICATE = "transition = 'duplicate'"


def _trigrams_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    installed = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
    if installed:
        return True
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if not available:
        return False
    # pg_trgm is a trusted extension: a database owner without superuser rights may install it. A refusal must not
    # abort the migration's transaction, hence the savepoint.
    with bind.begin_nested() as savepoint:
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError:
            savepoint.rollback()
            return False
    return True


def upgrade() -> None:
    op.create_index("ix_cases_place_created", "cases", [sa.text(PLACE), "created_at", "id"],
                    postgresql_include=["grid_code", "community_code"])
    op.create_index("ix_cases_open_place", "cases", [sa.text(PLACE), "created_at", "id"],
                    postgresql_where=sa.text(NOT_CLOSED), sqlite_where=sa.text(NOT_CLOSED))
    op.create_index("ix_cases_open_deadline", "cases", ["deadline", "id"], postgresql_where=sa.text(NOT_CLOSED),
                    sqlite_where=sa.text(NOT_CLOSED))
    op.create_index("ix_case_events_duplicate_receipt", "case_events", [sa.text(RECEIPT)],
                    postgresql_where=sa.text(DUPLICATE), sqlite_where=sa.text(DUPLICATE))
    if _trigrams_available():
        op.execute("CREATE INDEX ix_cases_text_trgm ON cases USING gin "
                   "(reference gin_trgm_ops, title gin_trgm_ops, note gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cases_text_trgm")  # pg_trgm stays installed: something else may use it
    op.drop_index("ix_case_events_duplicate_receipt", "case_events")
    op.drop_index("ix_cases_open_deadline", "cases")
    op.drop_index("ix_cases_open_place", "cases")
    op.drop_index("ix_cases_place_created", "cases")
