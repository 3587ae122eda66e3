"""The hub's configuration file (TOML): ``gridline hub serve --config hub.toml``.

One flat table of ``HubSettings`` fields (docs/configuration.md lists each). Precedence, strongest first: command-line
options, ``GRIDLINE_*`` environment variables, the file, the defaults - so a unit file or a container can override one
value without editing the file. Unknown keys are refused (a typo must not silently leave a default in place).
``check`` says what a running hub would use, secrets masked, and refuses what is unsafe in production."""
from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from hub.settings import HubSettings

ENV_PREFIX = "GRIDLINE_"
CONFIG_ENV = "GRIDLINE_CONFIG"  # the file, for processes started without --config (the worker pool's)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)([^:/@]*):([^@]*)@", re.IGNORECASE)
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class ConfigError(ValueError):
    """The file cannot be used: unreadable, not TOML, or names no setting."""


def read_config(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as file:
            values = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    fields = HubSettings.model_fields
    unknown = sorted(set(values) - set(fields))
    if unknown:
        hints = [f"{k} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(k, fields, 1)) else k
                 for k in unknown]
        raise ConfigError(f"{path}: no such setting: {', '.join(hints)}")
    return values


def sources(file_values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, str]:
    """Where each setting's value comes from: option, env, file or default."""
    env = {key.upper() for key in os.environ}
    found = {}
    for name in HubSettings.model_fields:
        found[name] = ("option" if name in overrides else "env" if f"{ENV_PREFIX}{name.upper()}" in env
                       else "file" if name in file_values else "default")
    return found


def load_settings(path: Path | str | None = None, overrides: dict[str, Any] | None = None) -> HubSettings:
    """``HubSettings`` from ``path`` (or ``$GRIDLINE_CONFIG``), the environment and ``overrides``."""
    overrides = overrides or {}
    path = path or os.environ.get(CONFIG_ENV) or None
    file_values = read_config(path) if path else {}
    origin = sources(file_values, overrides)
    # pydantic-settings reads the environment for every field not passed in: pass the file's values only where no
    # GRIDLINE_* variable sets the field, so the environment wins over the file.
    return HubSettings(**{k: v for k, v in file_values.items() if origin[k] == "file"}, **overrides)


def masked(name: str, value: Any) -> str:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else "(unset)"
    text = "" if value is None else str(value)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:********@", text) if name.endswith("_url") else text


def unsafe(settings: HubSettings, path: Path | str | None = None) -> list[str]:
    """What must not run in production (env=prod); the weak secret key is already refused by ``HubSettings``."""
    if settings.env != "prod":
        return []
    problems = []
    broker = settings.broker_url
    host = broker.split("@")[-1].split("://")[-1].rsplit(":", 1)[0]
    if broker == "embedded":
        problems.append("broker_url = 'embedded' is for demos (no accounts, no ACLs): use Mosquitto")
    elif broker.startswith("mqtt://") and host not in LOOPBACK:
        problems.append(f"broker_url reaches {host} without TLS: use mqtts:// (docs/deploy.md, TLS)")
    if settings.db_url.startswith("sqlite") and settings.share_group:
        problems.append("several hub workers (share_group) need PostgreSQL, not SQLite")
    if path and Path(path).stat().st_mode & (stat.S_IRGRP | stat.S_IROTH) and "secret_key" in read_config(path):
        problems.append(f"{path} holds secret_key and others may read it: chmod 600")
    return problems


def describe(settings: HubSettings, origin: dict[str, str]) -> list[str]:
    """``name = value  (source)`` per setting, secrets masked."""
    width = max(map(len, HubSettings.model_fields))
    return [f"{name:<{width}} = {masked(name, getattr(settings, name)):<40} ({origin[name]})"
            for name in HubSettings.model_fields]


def check(path: Path | str | None, overrides: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(the effective configuration's lines, the problems); raises ConfigError / pydantic's ValidationError."""
    path = path or os.environ.get(CONFIG_ENV) or None
    settings = load_settings(path, overrides)
    origin = sources(read_config(path) if path else {}, overrides)
    return describe(settings, origin), unsafe(settings, path)
