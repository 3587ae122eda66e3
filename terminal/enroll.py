"""Enrolment: exchange the one-time code an admin was given (text or QR) for this device's own broker
credentials, and keep them where only this device's user can read them.

``DATA_DIR/credentials.json`` (mode 0600, in a 0700 directory) holds the device id, broker account,
password and broker URL; ``DATA_DIR/broker-ca.pem`` the CA the hub handed over for ``mqtts://``.
Loading refuses a credentials file that group or others can read, as ssh does with keys.
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

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

    def __repr__(self) -> str:  # never print the password into a log
        return f"DeviceCredentials(device_id={self.device_id!r}, username={self.username!r}, password=***)"


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        return DeviceCredentials(**{k: data.get(k) for k in ("device_id", "username", "password", "broker_url",
                                                             "ca_file")})
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
                                        answer["broker_url"])
    except (KeyError, TypeError):
        raise EnrollError(f"unexpected answer from the hub: {sorted(answer) if isinstance(answer, dict) else answer}") \
            from None
    save_credentials(data_dir, credentials, answer.get("ca_pem"))
    saved = load_credentials(data_dir)
    assert saved is not None  # save_credentials() has just written the file
    return saved
