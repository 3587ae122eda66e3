"""Hub persistence: SQLAlchemy Core tables, packaged Alembic migrations, the ``HubStore`` repository."""
from hub.store.engine import create_hub_engine, normalize_db_url
from hub.store.items import BatchItem, BatchResult, DeadLetter, DeviceOutcome, Inbound, PresenceUpdate
from hub.store.migrate import current_revision, upgrade
from hub.store.repository import CursorError, HubStore, utc_now
from hub.store.rows import DeadLetterRow, DeviceRow, DownlinkRow, PhotoRow, RecordRow, SeqGroup

__all__ = [
    "BatchItem", "BatchResult", "CursorError", "DeadLetter", "DeadLetterRow", "DeviceOutcome", "DeviceRow",
    "DownlinkRow", "HubStore", "Inbound", "PhotoRow", "PresenceUpdate", "RecordRow", "SeqGroup",
    "create_hub_engine", "current_revision", "normalize_db_url", "upgrade", "utc_now",
]
