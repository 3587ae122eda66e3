"""Task thumbnails (缩略图): small JPEGs of a case's photos that travel inside the phone's task message.

Made with Pillow (the hub installs no OpenCV) from the stored photo file (``photos/ab/<sha256>``, hash-verified
when it was assembled) and cached on disk beside it (``thumbnails/ab/<sha256>.jpg``): a photo is encoded once, however
often its case is dispatched, reminded or escalated, and the same photo always gives the same bytes (so an unchanged
task keeps its digest and is not sent again). A photo whose file is not there yet (chunks still on their way) has no
thumbnail; the dispatcher sends the task again when it arrives (``Dispatcher.refresh_photos``).
"""
from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from pathlib import Path

from hub.store import jpeg
from hub.store.files import write_atomically
from hub.store.photos import photo_relpath
from protocol.messages import MAX_TASK_THUMBNAIL_BYTES, MAX_THUMBNAIL_BYTES, PhotoRole, TaskThumbnail

log = logging.getLogger(__name__)

LONG_SIDE = 160  # px: enough to recognise a pothole or a stall on a phone; a few KiB as JPEG
QUALITIES = (60, 45, 30)  # tried in turn until the JPEG fits MAX_THUMBNAIL_BYTES

# the case transition whose evidence a photo is → its role on the task
_ROLES = {"arrive": PhotoRole.BEFORE, "resolve": PhotoRole.AFTER, "auto_resolve": PhotoRole.AFTER,
          "verify": PhotoRole.AFTER}


def role_of(transition: str) -> PhotoRole:
    """Reports, duplicates, notes and merges bring the resident's side; arrival is before, resolution after."""
    return _ROLES.get(transition, PhotoRole.REPORT)


def make_thumbnail(data: bytes, long_side: int = LONG_SIDE, max_bytes: int = MAX_THUMBNAIL_BYTES) -> bytes | None:
    """A JPEG of at most ``long_side`` px on its long side and ``max_bytes``; None if ``data`` is no image (or no
    quality fits)."""
    # a JPEG is decoded at a fraction of its size (DCT scaling): a 12 MP photo costs little memory or time
    image = jpeg.decode(data, draft_side=long_side * 2)
    return None if image is None else jpeg.encode_within(image, long_side, max_bytes, QUALITIES)


class Thumbnailer:
    """Thumbnails of the photos under ``data_dir`` (the hub store's), cached on disk by sha256."""

    def __init__(self, data_dir: Path | str, *, long_side: int = LONG_SIDE):
        self.data_dir, self.long_side = Path(data_dir), long_side
        self.encoded = 0  # how many thumbnails this process encoded (not served from the cache)

    def cache_path(self, sha256: str) -> Path:
        return self.data_dir / "thumbnails" / sha256[:2] / f"{sha256}.jpg"

    def has_photo(self, sha256: str) -> bool:
        return (self.data_dir / photo_relpath(sha256)).is_file()

    def thumbnail(self, sha256: str) -> bytes | None:
        """The cached thumbnail, made now if needed; None while the photo has not arrived (or is unreadable)."""
        cached = self.cache_path(sha256)
        try:
            return cached.read_bytes()
        except FileNotFoundError:
            pass
        try:
            data = (self.data_dir / photo_relpath(sha256)).read_bytes()
        except FileNotFoundError:
            return None
        thumb = make_thumbnail(data, self.long_side)
        if thumb is None:
            log.warning("photo %s is stored but no thumbnail could be made of it", sha256)
            return None
        write_atomically(cached, thumb)
        self.encoded += 1
        return thumb

    def for_task(self, photos: Sequence[tuple[str, PhotoRole]]) -> tuple[list[TaskThumbnail] | None, set[str]]:
        """(the task's labelled photos, the ones not at the hub yet). Within MAX_TASK_THUMBNAIL_BYTES the report's
        photos come first, then the newest evidence; photos past the budget go labelled but without a JPEG."""
        if not photos:
            return None, set()
        priority = [i for i, (_, role) in enumerate(photos) if role is PhotoRole.REPORT]
        priority += [i for i in reversed(range(len(photos))) if i not in priority]
        jpegs: dict[int, str] = {}
        missing: set[str] = set()
        budget = MAX_TASK_THUMBNAIL_BYTES
        for i in priority:
            thumb = self.thumbnail(photos[i][0])
            if thumb is None:
                if not self.has_photo(photos[i][0]):
                    missing.add(photos[i][0])
                continue
            if len(thumb) <= budget:
                jpegs[i] = base64.b64encode(thumb).decode("ascii")
                budget -= len(thumb)
        return [TaskThumbnail(sha256=sha, role=role, jpeg_b64=jpegs.get(i))
                for i, (sha, role) in enumerate(photos)], missing
