"""Broker addresses as URLs (``mqtt://user:pass@host:port``, ``mqtts://...``), parsed once for both sides, and the
connection refusals that retrying cannot fix."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

# CONNACK reason codes (MQTT 5) that retrying with the same credentials cannot fix: both sides stop instead of
# getting the account banned.
AUTH_FAILURES: dict[int, str] = {134: "bad user name or password", 135: "not authorized", 138: "banned",
                                 140: "bad authentication method"}


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def url(self, with_password: bool = False) -> str:
        auth = ""
        if self.username:
            auth = self.username + (f":{self.password}" if with_password and self.password else "") + "@"
        return f"{'mqtts' if self.tls else 'mqtt'}://{auth}{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    if not parts.hostname:
        raise ValueError(f"broker URL has no host: {url!r}")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
