"""An empty path setting means unset (issue 14 item 11): ``GRIDLINE_BROKER_RELOAD_PID_FILE=`` - as an env file or a
compose file writes a variable it leaves blank - used to become ``Path("")``, the current directory, which is
truthy: the hub then tried to read a pid from "." instead of running the reload command, and an empty
``GRIDLINE_BROKER_AUTH_DIR`` had it write the broker's password and ACL files wherever it was started. Every path
setting now reads empty or blank as its default."""
from __future__ import annotations

from pathlib import Path

import pytest

from hub.devices.broker_sync import reloader_from_settings
from hub.settings import HubSettings

OPTIONAL_PATHS = ["broker_reload_pid_file", "broker_auth_dir", "broker_ca_file", "broker_client_cert",
                  "broker_client_key"]


@pytest.mark.parametrize("blank", ["", "  "])
@pytest.mark.parametrize("name", OPTIONAL_PATHS)
def test_an_empty_path_variable_is_unset(monkeypatch, name: str, blank: str):
    monkeypatch.setenv(f"GRIDLINE_{name.upper()}", blank)
    assert getattr(HubSettings(), name) is None
    assert getattr(HubSettings(**{name: blank}), name) is None


def test_an_empty_data_dir_is_the_default_not_the_current_directory(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("GRIDLINE_DATA_DIR", "")
    assert HubSettings().data_dir == Path("data/hub")
    monkeypatch.setenv("GRIDLINE_DATA_DIR", str(tmp_path))  # a set one is kept
    monkeypatch.setenv("GRIDLINE_BROKER_RELOAD_PID_FILE", str(tmp_path / "mosquitto.pid"))
    settings = HubSettings()
    assert settings.broker_reload_pid_file == tmp_path / "mosquitto.pid" and settings.data_dir == tmp_path


def test_the_reload_command_runs_when_the_pid_file_is_left_blank(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("GRIDLINE_BROKER_RELOAD_PID_FILE", "")
    monkeypatch.setenv("GRIDLINE_BROKER_RELOAD_COMMAND", f"touch {tmp_path / 'reloaded'}")
    reload = reloader_from_settings(HubSettings())
    assert reload is not None
    reload()  # before: read a pid from "." (IsADirectoryError), and the broker never reloaded
    assert (tmp_path / "reloaded").exists()

