"""Hub persistence: SQLAlchemy Core tables, packaged Alembic migrations, the ``HubStore`` repository."""
from .engine import create_hub_engine, normalize_db_url
from .items import BatchItem, BatchResult, DeadLetter, DeviceOutcome, Inbound, PresenceUpdate
from .migrate import current_revision, upgrade
from .repository import CursorError, HubStore, utc_now
from .rows import DeadLetterRow, DeviceRow, DownlinkRow, PhotoRow, RecordRow, SeqGroup

__all__ = [
    "BatchItem", "BatchResult", "CursorError", "DeadLetter", "DeadLetterRow", "DeviceOutcome", "DeviceRow",
    "DownlinkRow", "HubStore", "Inbound", "PhotoRow", "PresenceUpdate", "RecordRow", "SeqGroup",
    "create_hub_engine", "current_revision", "normalize_db_url", "upgrade", "utc_now",
]
