"""Hub persistence: SQLAlchemy Core tables, packaged Alembic migrations, the typed ``Database`` handle, the
clock, and ``HubStore`` - the owner of the ingest tables (records, photos, devices, downlinks, dead letters).
Every other table has one owner: the ``repo`` module of its domain package (``hub/<domain>/repo.py``)."""
from hub.store.clock import Clock, utc_now
from hub.store.db import Database
from hub.store.engine import create_hub_engine, normalize_db_url
from hub.store.items import BatchItem, BatchResult, DeadLetter, DeviceOutcome, Inbound, PresenceUpdate
from hub.store.migrate import current_revision, upgrade
from hub.store.records import CursorError
from hub.store.repository import HubStore
from hub.store.rows import DeadLetterRow, DeviceRow, DownlinkRow, PhotoRow, RecordRow, SeqGroup

__all__ = [
    "BatchItem", "BatchResult", "Clock", "CursorError", "Database", "DeadLetter", "DeadLetterRow", "DeviceOutcome",
    "DeviceRow", "DownlinkRow", "HubStore", "Inbound", "PhotoRow", "PresenceUpdate", "RecordRow", "SeqGroup",
    "create_hub_engine", "current_revision", "normalize_db_url", "upgrade", "utc_now",
]
