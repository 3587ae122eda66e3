"""The kiosk's deployment key (what resident cards are hashed with): the one the hub handed over at enrolment,
replaced when the hub says it was rotated (a ``deployment_key`` downlink names the new generation; the key itself is
fetched over HTTPS with the kiosk's own device account, off the sync thread). A key in the app config is the
fallback for a kiosk that was never enrolled (development, the demo). The key is never logged."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from protocol import DeploymentKeyRotated, DownlinkMessage
from terminal.device import Device
from terminal.enroll import DeviceCredentials, EnrollError, fetch_deployment_key, load_credentials

log = logging.getLogger(__name__)


class DeploymentKeyKeeper:
    def __init__(self, device: Device, data_dir: Path | str, configured: str | None, *,
                 on_key: Callable[[], None] = lambda: None,
                 fetch: Callable[[Path | str], DeviceCredentials] = fetch_deployment_key):
        self.device, self.data_dir, self.configured = device, data_dir, configured
        self.on_key, self.fetch = on_key, fetch
        self.error = ""
        credentials = load_credentials(data_dir)
        self.generation = credentials.deployment_key_generation or 0 if credentials else 0
        device.deployment_key = (credentials.deployment_key if credentials else None) or configured

    def on_downlink(self, message: DownlinkMessage) -> bool:
        """True for a ``deployment_key`` downlink (a newer generation starts a fetch); False for anything else."""
        if message.kind != "deployment_key":
            return False
        try:
            rotated = DeploymentKeyRotated.model_validate(message.body)
        except ValueError:
            log.warning("deployment_key downlink %s unreadable", message.id)
            return True
        if rotated.generation > self.generation:
            threading.Thread(target=self.refresh, args=(rotated.generation,), name="deployment-key",
                             daemon=True).start()
        return True

    def refresh(self, generation: int) -> bool:
        """Fetch the key in force now; True once it is at least ``generation``."""
        try:
            credentials = self.fetch(self.data_dir)
        except EnrollError as exc:  # the message never holds the key
            self.error = str(exc)
            log.warning("deployment key generation %d not fetched: %s", generation, exc)
            return False
        self.error = ""
        self.generation = credentials.deployment_key_generation or 0
        self.device.deployment_key = credentials.deployment_key
        log.info("deployment key generation %d in force", self.generation)
        self.on_key()
        return self.generation >= generation
