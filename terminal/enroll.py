"""Enrolment: exchange the one-time code an admin was given (text or QR) for this device's own broker
credentials, and keep them where only this device's user can read them.

``DATA_DIR/credentials.json`` (mode 0600, in a 0700 directory) holds the device id, broker account,
password, broker URL and the hub's address; a kiosk's also holds the deployment key (the secret resident cards are
hashed with) and its generation, handed over at enrolment and fetched again after a rotation
(:func:`fetch_deployment_key`). ``DATA_DIR/broker-ca.pem`` holds the CA the hub handed over for ``mqtts://``.
Loading refuses a credentials file that group or others can read, as ssh does with keys.
"""
from __future__ import annotations

import base64
import json
import os
import stat
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from terminal.files import write_atomically

CREDENTIALS_FILE = "credentials.json"
CA_FILE = "broker-ca.pem"
QR_SCHEME = "gridline://enroll"


class EnrollError(RuntimeError):
    """Enrolment failed; the message says why in words an installer can act on."""


class CredentialsError(ValueError):
    """A credentials file that is unreadable, malformed or readable by others."""


@dataclass(frozen=True)
class DeviceCredentials:
    device_id: str
    username: str
    password: str
    broker_url: str
    ca_file: str | None = None
    hub_url: str | None = None  # where it enrolled: the device's HTTPS routes (deployment key, photos)
    deployment_key: str | None = None  # kiosks only
    deployment_key_generation: int | None = None

    def __repr__(self) -> str:  # never print the password or the deployment key into a log
        return (f"DeviceCredentials(device_id={self.device_id!r}, username={self.username!r}, password=***"
                + (f", deployment_key=*** (generation {self.deployment_key_generation})" if self.deployment_key
                   else "") + ")")


def parse_enrolment(text: str) -> tuple[str, str | None]:
    """A typed code, or the text of the QR (``gridline://enroll?code=...&hub=...``): (code, hub or None)."""
    text = text.strip()
    if text.startswith(QR_SCHEME):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query)
        if not query.get("code"):
            raise EnrollError("the QR text has no code")
        hubs = query.get("hub")
        return query["code"][0], hubs[0] if hubs else None
    return text, None


def _write_private(path: Path, data: str) -> None:
    """Created 0600 from the first byte (no window where it is world-readable), replaced atomically."""
    write_atomically(path, data)


def save_credentials(data_dir: Path | str, credentials: DeviceCredentials, ca_pem: str | None = None) -> Path:
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    if ca_pem:
        ca_path = data_dir / CA_FILE
        _write_private(ca_path, ca_pem)
        credentials = DeviceCredentials(**{**asdict(credentials), "ca_file": str(ca_path.resolve())})
    path = data_dir / CREDENTIALS_FILE
    _write_private(path, json.dumps(asdict(credentials), indent=2))
    return path


_FIELDS = ("device_id", "username", "password", "broker_url", "ca_file", "hub_url", "deployment_key",
           "deployment_key_generation")


def load_credentials(data_dir: Path | str) -> DeviceCredentials | None:
    """The enrolled credentials, or None when this device was never enrolled."""
    path = Path(data_dir) / CREDENTIALS_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(f"{path} can be read by other users (mode {stat.filemode(mode)}); "
                               f"run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DeviceCredentials(**{k: data.get(k) for k in _FIELDS})
    except (OSError, ValueError, TypeError) as exc:
        raise CredentialsError(f"{path} is not a valid credentials file: {exc}") from exc


def enroll(hub_url: str, code: str, data_dir: Path | str, *, timeout: float = 15.0) -> DeviceCredentials:
    """POST the code to the hub's ``/api/enroll``, store what comes back, return it."""
    body = json.dumps({"code": code}).encode()
    request = urllib.request.Request(hub_url.rstrip("/") + "/api/enroll", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail")
        except ValueError:
            detail = exc.reason
        hint = {429: " (too many attempts: wait a minute)"}.get(exc.code, "")
        raise EnrollError(f"hub refused enrolment: HTTP {exc.code} {detail}{hint}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise EnrollError(f"cannot reach the hub at {hub_url}: {exc}") from None
    try:
        credentials = DeviceCredentials(answer["device_id"], answer["username"], answer["password"],
                                        answer["broker_url"], hub_url=hub_url.rstrip("/"),
                                        deployment_key=answer.get("deployment_key"),
                                        deployment_key_generation=answer.get("deployment_key_generation"))
    except (KeyError, TypeError):
        raise EnrollError(f"unexpected answer from the hub: {sorted(answer) if isinstance(answer, dict) else answer}") \
            from None
    save_credentials(data_dir, credentials, answer.get("ca_pem"))
    saved = load_credentials(data_dir)
    assert saved is not None  # save_credentials() has just written the file
    return saved


def fetch_deployment_key(data_dir: Path | str, *, timeout: float = 15.0) -> DeviceCredentials:
    """A kiosk asks the hub for the deployment key in force (after a ``deployment_key`` downlink said it was
    rotated), signed in with its own device account, and keeps it with its credentials. The key is never logged."""
    credentials = load_credentials(data_dir)
    if credentials is None or not credentials.hub_url:
        raise EnrollError("this device is not enrolled with a hub address; enrol it again")
    token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    request = urllib.request.Request(credentials.hub_url + "/api/device/deployment-key",
                                     headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        key, generation = str(answer["key"]), int(answer["generation"])
    except urllib.error.HTTPError as exc:
        raise EnrollError(f"hub refused the deployment key: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
        raise EnrollError(f"cannot fetch the deployment key from {credentials.hub_url}: {type(exc).__name__}") \
            from None
    updated = replace(credentials, deployment_key=key, deployment_key_generation=generation)
    save_credentials(data_dir, updated)
    return updated
