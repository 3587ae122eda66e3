"""Full photos fetched from the hub on demand and kept in the device's data dir for offline viewing: a phone's task
photos (the task message carries only thumbnails) and a kiosk's 议事 topic images (the topic carries only their
sha256).

A fetch asks the hub's ``GET /api/device/photos/{sha256}`` with this device's own broker account (HTTP Basic: device
id and the password it got at enrolment); the hub answers a phone for the cases it holds an open task of and a kiosk
for the topics delivered to it. The bytes are checked against the sha256 asked for before they are kept
(``DATA_DIR/task_photos/ab/<sha256>``), so a cached photo is always the one named, and a fetched photo stays visible
with no network. :class:`BackgroundPhotos` runs such fetches off the UI thread for a screen that shows a photo as
soon as it is here.
"""
from __future__ import annotations

import base64
import hashlib
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from terminal.enroll import DeviceCredentials
from terminal.files import write_atomically

MAX_FULL_PHOTO_BYTES = 8 * 1024 * 1024  # protocol.MAX_PHOTO_BYTES: the hub never stores a larger one


class PhotoFetchError(RuntimeError):
    """Why a photo could not be fetched; ``reason``: offline | refused (401) | not_found (404) | bad_data."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class TaskPhotoCache:
    """Fetch-on-demand and the on-disk cache; ``hub_url`` or ``credentials`` None: only what is cached shows."""

    def __init__(self, data_dir: Path | str, hub_url: str | None, credentials: DeviceCredentials | None, *,
                 timeout: float = 15.0, ca_file: str | None = None):
        self.folder = Path(data_dir) / "task_photos"
        self.hub_url = hub_url.rstrip("/") if hub_url else None
        self.credentials, self.timeout = credentials, timeout
        self._ssl = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / sha256

    def cached(self, sha256: str) -> Path | None:
        path = self.path(sha256)
        return path if path.is_file() else None

    @property
    def can_fetch(self) -> bool:
        return self.hub_url is not None and self.credentials is not None

    def fetch(self, sha256: str) -> Path:
        """The photo's file: from the cache, else from the hub (blocking: call it off the UI thread)."""
        found = self.cached(sha256)
        if found is not None:
            return found
        if self.hub_url is None or self.credentials is None:
            raise PhotoFetchError("no_hub", "this device has no hub address or no enrolled credentials")
        token = base64.b64encode(f"{self.credentials.username}:{self.credentials.password}".encode()).decode()
        request = urllib.request.Request(f"{self.hub_url}/api/device/photos/{sha256}",
                                         headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl) as response:
                data = response.read(MAX_FULL_PHOTO_BYTES + 1)
        except urllib.error.HTTPError as exc:
            reason = {401: "refused", 404: "not_found"}.get(exc.code, "offline")
            raise PhotoFetchError(reason, f"HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise PhotoFetchError("offline", str(exc)) from None
        if len(data) > MAX_FULL_PHOTO_BYTES or hashlib.sha256(data).hexdigest() != sha256:
            raise PhotoFetchError("bad_data", "the bytes do not hash to the photo asked for")
        return self._keep(sha256, data)

    def _keep(self, sha256: str, data: bytes) -> Path:
        path = self.path(sha256)
        write_atomically(path, data)
        return path


class BackgroundPhotos:
    """Photos a screen shows as soon as they are here: :meth:`want` answers at once (the cached file, or None and
    ``loading`` or why the last fetch failed) and starts a fetch on a worker thread when none runs; ``on_change``
    fires from that thread when it ends (the app turns it into a ``@mainthread`` refresh). A failed photo is tried
    again on a later :meth:`want` once ``retry_s`` has passed (the hub back, the photo uploaded meanwhile)."""

    def __init__(self, cache: TaskPhotoCache, *, on_change: Callable[[], None] = lambda: None,
                 retry_s: float = 30.0, monotonic: Callable[[], float] = time.monotonic):
        self.cache, self.on_change, self.retry_s, self.monotonic = cache, on_change, retry_s, monotonic
        self._lock = threading.Lock()
        self._state: dict[str, tuple[str, float]] = {}  # sha256 → ("loading" | failure reason, when it was set)

    def want(self, sha256: str) -> tuple[Path | None, str]:
        """(the file, "") when it is here; else (None, ``loading`` | the last failure), a fetch started if due."""
        cached = self.cache.cached(sha256)
        if cached is not None:
            return cached, ""
        if not self.cache.can_fetch:
            return None, "no_hub"
        now = self.monotonic()
        with self._lock:
            state, since = self._state.get(sha256, ("", 0.0))
            if state == "loading" or (state and now - since < self.retry_s):
                return None, state
            self._state[sha256] = ("loading", now)
        threading.Thread(target=self._work, args=(sha256,), name=f"photo-{sha256[:8]}", daemon=True).start()
        return None, "loading"

    def fetch(self, sha256: str) -> Path | None:
        """Blocking fetch (the worker thread's body; tests call it directly); the reason is kept on failure."""
        try:
            path = self.cache.fetch(sha256)
        except (PhotoFetchError, OSError) as exc:  # OSError: the data dir could not take it
            with self._lock:
                self._state[sha256] = (exc.reason if isinstance(exc, PhotoFetchError) else "disk", self.monotonic())
            return None
        with self._lock:
            self._state.pop(sha256, None)
        return path

    def _work(self, sha256: str) -> None:
        try:
            self.fetch(sha256)
        finally:
            self.on_change()
