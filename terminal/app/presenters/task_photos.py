"""A task's photos on the phone: the thumbnails the task message carries, labelled report / before / after, and the
full photo fetched on a tap - off the UI thread, from the hub with the device's own credentials - and kept in the
data dir, so once fetched it shows offline (:mod:`terminal.photo_fetch`)."""
from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from protocol import TaskBody
from terminal.app.i18n import Translator
from terminal.photo_fetch import PhotoFetchError, TaskPhotoCache


@dataclass(frozen=True)
class PhotoView:
    sha256: str
    role: str  # report | before | after
    label: str
    thumbnail: bytes | None  # JPEG from the task message
    full: Path | None  # the full photo, once fetched
    status: str  # what a tap does / is doing, in words


class TaskPhotos:
    def __init__(self, cache: TaskPhotoCache, tr: Translator, *, on_change: Callable[[], None]):
        self.cache, self.tr, self.on_change = cache, tr, on_change
        self.viewing: str | None = None  # sha256 of the full photo on screen
        self._fetching: dict[str, str] = {}  # sha256 → "loading" or the reason the last fetch failed

    def views(self, body: TaskBody) -> list[PhotoView]:
        labelled = {t.sha256: t for t in body.thumbnails or []}
        views = []
        for sha in body.photos:
            thumb = labelled.get(sha)
            role = thumb.role.value if thumb else "report"
            full = self.cache.cached(sha)
            state = self._fetching.get(sha)
            status = ("tasks.photo_saved" if full else "tasks.photo_loading" if state == "loading"
                      else f"tasks.photo_{state}" if state
                      else "tasks.photo_no_preview" if not (thumb and thumb.jpeg_b64)  # not at the hub yet
                      else "tasks.photo_tap" if self.cache.can_fetch else "tasks.photo_no_hub")
            views.append(PhotoView(sha, role, self.tr.t(f"photo_role.{role}"),
                                   base64.b64decode(thumb.jpeg_b64) if thumb and thumb.jpeg_b64 else None,
                                   full, self.tr.t(status)))
        return views

    def fetch(self, sha256: str) -> Path | None:
        """Blocking fetch (the worker thread's body; tests call it directly); the reason is kept on failure."""
        try:
            path = self.cache.fetch(sha256)
        except PhotoFetchError as exc:
            self._fetching[sha256] = exc.reason
            return None
        self._fetching.pop(sha256, None)
        return path

    def open(self, sha256: str) -> Path | None:
        """A tap on a thumbnail: the full photo at once if it is here, else fetched in the background
        (``on_change`` fires when it is done; the screen then shows it). Returns the file when already here."""
        self.viewing = sha256
        cached = self.cache.cached(sha256)
        if cached is not None or self._fetching.get(sha256) == "loading":
            return cached
        self._fetching[sha256] = "loading"

        def work() -> None:
            self.fetch(sha256)
            self.on_change()

        threading.Thread(target=work, name=f"photo-{sha256[:8]}", daemon=True).start()
        return None

    def viewing_photo(self) -> tuple[Path | None, str]:
        """(the full photo's file, or None and what is happening) for the photo being viewed."""
        if self.viewing is None:
            return None, ""
        path = self.cache.cached(self.viewing)
        state = self._fetching.get(self.viewing)
        return path, "" if path else self.tr.t(f"tasks.photo_{state}" if state else "tasks.photo_loading")

    def close(self) -> None:
        self.viewing = None
