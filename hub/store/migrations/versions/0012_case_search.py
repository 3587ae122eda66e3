"""case search: indexes for the case list's filters and sorts, the lookup of a duplicate report's receipt code, and
(PostgreSQL) a two-character index for searching the words of references, titles and notes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

What each index is for (``hub/cases/views_repo.py``; chosen with EXPLAIN over 1,000,000 cases, see
``benchmarks/case_search.py``):

- ``ix_cases_place_created``: a case's place is its grid, else its community (属地兜底): the unit a scope or a unit
  filter tests, the same rule as the single-case check. A community's page is merged from one index branch per
  place (newest first) instead of sorting its whole history; on PostgreSQL the index also carries the two columns,
  so a count is an index-only scan.
- ``ix_cases_open_place`` / ``ix_cases_open_deadline``: the same, and deadlines, over the cases not yet closed (a
  few percent of all): open lists, the overdue preset, deadline order. Queries repeat the partial condition verbatim
  so SQLite, which matches terms rather than proving implications, uses them too.
- ``ix_case_events_duplicate_receipt``: the last six characters of a duplicate report's intake key
  (``report:<record id>``): what the kiosk showed a resident whose report joined an open case.
- ``ix_cases_text_bigrams`` (PostgreSQL): every two-character piece of the lower-cased reference, title and note,
  in a GIN index. Chinese words are mostly two characters (井盖, 漏水, 噪音), which a trigram index (pg_trgm)
  cannot look up; a search for two characters or more takes the rows holding all of its pieces from this index and
  checks them with LIKE. No extension needed. SQLite (and one-character searches) read the scope's cases instead.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Frozen here on purpose (see 0001): the query side (hub/cases/views_repo.py via tables.py) spells the same.
PLACE = "coalesce(grid_code, community_code)"
NOT_CLOSED = "state NOT IN ('closed', 'not_filed')"
RECEIPT = "substr(client_event_id, length(client_event_id) - 5)"
DUPLICATE = "transition = 'duplicate'"
TEXT = "lower(coalesce(reference, '') || ' ' || title || ' ' || note)"
BIGRAMS = """
CREATE FUNCTION gridline_bigrams(doc text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(doc, i, 2)), '{}') FROM generate_series(1, char_length(doc) - 1) AS i
$$"""


def upgrade() -> None:
    op.create_index("ix_cases_place_created", "cases", [sa.text(PLACE), "created_at", "id"],
                    postgresql_include=["grid_code", "community_code"])
    op.create_index("ix_cases_open_place", "cases", [sa.text(PLACE), "created_at", "id"],
                    postgresql_where=sa.text(NOT_CLOSED), sqlite_where=sa.text(NOT_CLOSED))
    op.create_index("ix_cases_open_deadline", "cases", ["deadline", "id"], postgresql_where=sa.text(NOT_CLOSED),
                    sqlite_where=sa.text(NOT_CLOSED), postgresql_include=["state", "grid_code", "community_code"])
    op.create_index("ix_case_events_duplicate_receipt", "case_events", [sa.text(RECEIPT)],
                    postgresql_where=sa.text(DUPLICATE), sqlite_where=sa.text(DUPLICATE))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BIGRAMS)
        op.execute(f"CREATE INDEX ix_cases_text_bigrams ON cases USING gin (gridline_bigrams({TEXT}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_cases_text_bigrams", "cases")
        op.execute("DROP FUNCTION gridline_bigrams(text)")
    op.drop_index("ix_case_events_duplicate_receipt", "case_events")
    op.drop_index("ix_cases_open_deadline", "cases")
    op.drop_index("ix_cases_open_place", "cases")
    op.drop_index("ix_cases_place_created", "cases")
