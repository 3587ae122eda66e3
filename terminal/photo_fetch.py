"""Full photos of a task, fetched from the hub on demand and kept in the device's data dir for offline viewing.

The task message carries only thumbnails; a tap asks the hub's ``GET /api/device/photos/{sha256}`` with this device's
own broker account (HTTP Basic: device id and the password it got at enrolment). The bytes are checked against the
sha256 the task named before they are kept (``DATA_DIR/task_photos/ab/<sha256>``), so a cached photo is always the
one the case cites, and a fetched photo stays visible with no network.
"""
from __future__ import annotations

import base64
import hashlib
import ssl
import urllib.error
import urllib.request
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
            raise PhotoFetchError("bad_data", "the bytes do not hash to the photo the task names")
        return self._keep(sha256, data)

    def _keep(self, sha256: str, data: bytes) -> Path:
        path = self.path(sha256)
        write_atomically(path, data)
        return path
