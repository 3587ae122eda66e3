"""The deployment key: the secret every kiosk of this deployment hashes resident cards with (HMAC-SHA256, see
``terminal/residents.py``), so the hub and the welfare watch only ever see keyed hashes, never card numbers.

Kept in ``DATA_DIR/secrets/deployment-key.json`` (mode 0600 in a 0700 directory), made on first use. Handed out only
to devices of kind ``kiosk``: at enrolment (``POST /api/enroll``) and to an enrolled kiosk that signs in with its own
broker account (``GET /api/device/deployment-key``). An admin rotates it; every active kiosk then gets a
``deployment_key`` downlink that names the new *generation* only, never the key, and fetches the key itself over
HTTPS. Nothing here logs the key, and ``repr`` hides it.

Rotation changes every resident's keyed hash from then on: welfare enrolments made with the old key no longer match
check-ins, so staff re-enrol (the old hashes cannot be converted without the card numbers, by design).
"""
from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.store import DownlinkRow, HubStore
from hub.store.files import write_atomically
from protocol import DeploymentKeyRotated

KEY_FILE = Path("secrets") / "deployment-key.json"
_lock = threading.Lock()


@dataclass(frozen=True)
class DeploymentKey:
    generation: int
    key: str  # 64 hex digits
    rotated_at: datetime

    def __repr__(self) -> str:  # never print the key into a log
        return f"DeploymentKey(generation={self.generation}, key=***)"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    write_atomically(path, text, mode=0o600)


class DeploymentKeys:
    def __init__(self, data_dir: Path | str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.path = Path(data_dir) / KEY_FILE
        self.clock = clock

    def _read(self) -> DeploymentKey | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return DeploymentKey(int(data["generation"]), str(data["key"]), datetime.fromisoformat(data["rotated_at"]))
        except FileNotFoundError:
            return None

    def _save(self, generation: int) -> DeploymentKey:
        made = DeploymentKey(generation, secrets.token_hex(32), self.clock())
        _write_private(self.path, json.dumps({"generation": made.generation, "key": made.key,
                                              "rotated_at": made.rotated_at.isoformat()}))
        return made

    def current(self) -> DeploymentKey:
        """The key in force, made (generation 1) on first use."""
        with _lock:
            return self._read() or self._save(1)

    def rotate(self) -> DeploymentKey:
        with _lock:
            found = self._read()
            return self._save((found.generation if found else 0) + 1)


def notify_kiosks(store: HubStore, kiosk_ids: Iterable[str], generation: int) -> list[DownlinkRow]:
    """Queue a ``deployment_key`` downlink (the new generation, not the key) for each kiosk."""
    body = DeploymentKeyRotated(generation=generation).model_dump(mode="json")
    return [store.queue_downlink(device_id, "deployment_key", body) for device_id in sorted(set(kiosk_ids))]
