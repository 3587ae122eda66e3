"""position tracks partitioned on PostgreSQL: records by kind, positions by day of their UUIDv7 id

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

PostgreSQL only (SQLite: no-op, one plain table as before). ``records`` becomes LIST (kind) partitioned with
positions RANGE (id) partitioned by UTC day (layout and reasons: hub/store/partitions.py). A partitioned table's
primary key must contain every partition key column, so it becomes (id, kind): a re-sent record has the same id
and kind, lands in the same partition and still hits ON CONFLICT DO NOTHING. ``records_other`` keeps its own
UNIQUE (id) so the action_outcomes foreign key (which cannot point at (id) of the partitioned parent) points there:
every action record lives in records_other.

Existing rows are copied (rename, create, copy, drop the old table) inside the migration's transaction: on a big
database plan for it (about the time of one full-table INSERT ... SELECT with the indexes built).
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from hub.store.partitions import (
    EPOCH,
    FIRST_DAY,
    MS_PER_DAY,
    OTHER_KINDS,
    POSITION_DEFAULT,
    POSITIONS,
    create_day_partition,
    utc_day,
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = "records_0008"
COLUMNS = ("id varchar(36) NOT NULL, device_id varchar(64) NOT NULL, seq bigint NOT NULL, kind varchar(16) NOT NULL, "
           "payload text NOT NULL, content_sha256 varchar(64) NOT NULL, device_time timestamptz NOT NULL, "
           "received_at timestamptz NOT NULL")
COLUMN_NAMES = "id, device_id, seq, kind, payload, content_sha256, device_time, received_at"
INDEXES = {"ix_records_device_seq": "device_id, seq", "ix_records_kind_received": "kind, received_at",
           "ix_records_received": "received_at, id"}
DAYS_AHEAD = 3  # the maintenance job keeps its own setting from its first pass on
# The UTC day number of each v7 id's timestamp (first 48 bits = 12 hex digits around the first dash).
ID_DAY = f"(('x' || substr(id, 1, 8) || substr(id, 10, 4))::bit(48)::bigint / {MS_PER_DAY})"
IS_V7 = "id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'"


def _swap_out_records() -> None:
    """Free the names (table, primary key, indexes, foreign key) for the new table; keep the rows to copy."""
    op.drop_constraint("fk_action_outcomes_record", "action_outcomes", type_="foreignkey")
    op.execute(f"ALTER TABLE records RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT records_pkey")
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")


def _create_indexes() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON records ({columns})")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _swap_out_records()
    op.execute(f"CREATE TABLE records ({COLUMNS}, CONSTRAINT records_pkey PRIMARY KEY (id, kind)) "
               "PARTITION BY LIST (kind)")
    op.execute(f"CREATE TABLE {POSITIONS} PARTITION OF records FOR VALUES IN ('position') PARTITION BY RANGE (id)")
    op.execute(f"CREATE TABLE {POSITION_DEFAULT} PARTITION OF {POSITIONS} DEFAULT")
    op.execute(f"CREATE TABLE {OTHER_KINDS} PARTITION OF records DEFAULT")
    op.execute(f"ALTER TABLE {OTHER_KINDS} ADD CONSTRAINT uq_records_other_id UNIQUE (id)")
    _create_indexes()
    # A partition for every day the stored positions span (from 2000 on), and for today and the next days.
    today = utc_day(conn.execute(sa.text("SELECT now()")).scalar_one())
    stored = conn.execute(sa.text(f"SELECT DISTINCT {ID_DAY} FROM {OLD} WHERE kind = 'position' AND {IS_V7}")).scalars()
    last = today + timedelta(days=DAYS_AHEAD)
    days = {EPOCH + timedelta(days=n) for n in stored if (FIRST_DAY - EPOCH).days <= n <= (last - EPOCH).days}
    for day in sorted(days | {today + timedelta(days=n) for n in range(DAYS_AHEAD + 1)}):
        create_day_partition(conn, day)
    op.execute(f"INSERT INTO records ({COLUMN_NAMES}) SELECT {COLUMN_NAMES} FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")
    op.create_foreign_key("fk_action_outcomes_record", "action_outcomes", OTHER_KINDS, ["record_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Ids stored under two kinds (possible only while partitioned) make the copy fail on the primary key:
    # resolve those by hand rather than silently keep one.
    op.drop_constraint("fk_action_outcomes_record", "action_outcomes", type_="foreignkey")
    op.execute(f"CREATE TABLE {OLD} ({COLUMNS})")
    op.execute(f"INSERT INTO {OLD} ({COLUMN_NAMES}) SELECT {COLUMN_NAMES} FROM records")
    op.execute("DROP TABLE records")  # drops every partition with it
    op.execute(f"ALTER TABLE {OLD} RENAME TO records")
    op.execute("ALTER TABLE records ADD CONSTRAINT records_pkey PRIMARY KEY (id)")
    _create_indexes()
    op.create_foreign_key("fk_action_outcomes_record", "action_outcomes", "records", ["record_id"], ["id"])
