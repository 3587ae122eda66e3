"""The hub's schema as SQLAlchemy Core tables; Alembic migrations in ``migrations/`` create the same shape.

Times are stored in UTC by :class:`UtcDateTime` so SQLite (no time zones) and PostgreSQL
compare and sort them the same way.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused (a clock bug, not data)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the hub store; use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        # SQLite keeps the text; without tzinfo every value has one format, so text order = time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


metadata = sa.MetaData()

records = sa.Table(
    "records", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("payload", sa.Text, nullable=False, comment="canonical JSON, as protocol.encode writes it"),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("device_time", UtcDateTime, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Index("ix_records_device_seq", "device_id", "seq"),
    sa.Index("ix_records_kind_received", "kind", "received_at"),
    sa.Index("ix_records_received", "received_at", "id"),
)

photos = sa.Table(
    "photos", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("mime", sa.String(32), nullable=False),
    sa.Column("path", sa.Text, nullable=False, comment="relative to data_dir"),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("completed_at", UtcDateTime, nullable=False),
)

photo_chunks = sa.Table(
    "photo_chunks", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total_size", sa.Integer, nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

devices = sa.Table(
    "devices", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False, server_default="offline"),
    sa.Column("last_seen", UtcDateTime),
    sa.Column("status_at", UtcDateTime, comment="when the last presence change was received"),
    sa.Column("outbox_depth", sa.Integer),
    sa.Column("photos_pending", sa.Integer),
    sa.Column("battery_pct", sa.Float),
    sa.Column("app_version", sa.String(40)),
    sa.Column("clock_skew_ms", sa.BigInteger, comment="hub receive time - device sent_at"),
    sa.Column("first_seen", UtcDateTime, nullable=False),
)

downlinks = sa.Table(
    "downlinks", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("state", sa.String(12), nullable=False, server_default="queued"),
    sa.Column("send_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_sent_at", UtcDateTime),
    sa.Column("delivered_at", UtcDateTime),
    sa.Column("read_at", UtcDateTime),
    sa.Index("ix_downlinks_device_state", "device_id", "state"),
    sa.Index("ix_downlinks_state_sent", "state", "last_sent_at"),
)

dead_letters = sa.Table(
    "dead_letters", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False, comment="truncated to the configured cap"),
    sa.Column("payload_size", sa.Integer, nullable=False, comment="size before truncation"),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("device_id", sa.String(64)),
    sa.Index("ix_dead_letters_received", "received_at"),
    sa.Index("ix_dead_letters_reason", "reason"),
)
