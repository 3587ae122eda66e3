"""The hub's TOML configuration (hub/config_file.py, docs/configuration.md): every setting documented, precedence
option > environment > file > default, unknown keys and bad values refused with a reason, ``config check`` masks
secrets and refuses what is unsafe in production, and ``serve --config`` really serves on what the file says."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gridline.cli import main
from hub.config_file import ConfigError, load_settings, read_config
from hub.settings import HubSettings
from tests.isolation import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k" * 8 + "9f3a2b7c1d"


@pytest.fixture(autouse=True)
def _no_gridline_env(monkeypatch):
    for key in [k for k in os.environ if k.upper().startswith("GRIDLINE_")]:
        monkeypatch.delenv(key)


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_every_setting_is_documented_and_nothing_else():
    doc = (ROOT / "docs/configuration.md").read_text()
    table = re.findall(r"^\| `([a-z_0-9]+)` \| `GRIDLINE_([A-Z_0-9]+)` \|", doc, re.MULTILINE)
    assert [name for name, _ in table] == list(HubSettings.model_fields)
    assert all(env == name.upper() for name, env in table)


def test_option_beats_environment_beats_file_beats_default(tmp_path, monkeypatch):
    path = write(tmp_path, 'http_port = 8090\nbatch_max = 300\nclient_id = "from-file"\n')
    monkeypatch.setenv("GRIDLINE_BATCH_MAX", "200")
    monkeypatch.setenv("gridline_client_id", "from-env")  # the environment is read without regard to case
    settings = load_settings(path, {"http_port": 9000})
    assert (settings.http_port, settings.batch_max, settings.client_id) == (9000, 200, "from-env")
    assert settings.batch_wait_ms == HubSettings.model_fields["batch_wait_ms"].default
    monkeypatch.setenv("GRIDLINE_CONFIG", str(path))  # the worker pool's processes find the file this way
    assert load_settings().http_port == 8090


def test_unknown_keys_bad_toml_and_bad_values_are_refused_with_a_reason(tmp_path):
    with pytest.raises(ConfigError, match=r"http_prot \(did you mean http_port\?\)"):
        read_config(write(tmp_path, "http_prot = 1\n"))
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config(write(tmp_path, "http_port = \n"))
    with pytest.raises(ConfigError, match="cannot read"):
        read_config(tmp_path / "missing.toml")
    with pytest.raises(ValueError, match="http_port"):
        load_settings(write(tmp_path, "http_port = 70000\n"))


def test_check_masks_secrets_and_says_where_each_value_comes_from(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, f'env = "prod"\nsecret_key = "{SECRET}"\n'
                           'broker_url = "mqtts://hub:pa55word@mqtt.example.org:8883"\n'
                           'db_url = "postgresql://gridline:dbpa55@127.0.0.1/gridline"\n')
    monkeypatch.setenv("GRIDLINE_HTTP_PORT", "9001")
    assert main(["hub", "config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out and "pa55word" not in out and "dbpa55" not in out
    assert re.search(r"^broker_url +=.*mqtts://hub:\*+@mqtt.example.org:8883 +\(file\)$", out, re.MULTILINE)
    assert re.search(r"^http_port += 9001 +\(env\)$", out, re.MULTILINE)
    assert re.search(r"^secret_key += \*+ +\(file\)$", out, re.MULTILINE)
    assert re.search(r"^batch_max += 500 +\(default\)$", out, re.MULTILINE)


@pytest.mark.parametrize("text, mode, reason", [
    ('broker_url = "embedded"\n', 0o600, "for demos"),
    ('broker_url = "mqtt://10.1.2.3:1883"\n', 0o600, "without TLS"),
    ('share_group = "g"\n', 0o600, "need PostgreSQL"),
    ("", 0o644, "chmod 600"),
])
def test_check_refuses_what_is_unsafe_in_production(tmp_path, capsys, text, mode, reason):
    path = write(tmp_path, f'env = "prod"\nsecret_key = "{SECRET}"\n' + text, mode)
    assert main(["hub", "config", "check", "--config", str(path)]) == 2
    assert reason in capsys.readouterr().err


def test_a_weak_secret_in_production_is_refused(tmp_path, capsys):
    assert main(["hub", "config", "check", "--config", str(write(tmp_path, 'env = "prod"\nsecret_key = "dev"\n'))]) == 2
    assert "GRIDLINE_SECRET_KEY must be set" in capsys.readouterr().err


def test_the_deployment_example_is_valid_and_safe(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRIDLINE_SECRET_KEY", SECRET)
    assert main(["hub", "config", "check", "--config", str(ROOT / "deploy/hub.toml")]) == 0, capsys.readouterr().err


def test_serve_uses_the_file(tmp_path, own_broker):
    port = free_port()
    path = write(tmp_path, f'broker_url = "{own_broker.url}"\nhttp_port = {port}\n'
                           f'data_dir = "{tmp_path / "data"}"\nclient_id = "config-file-test"\n')
    hub = subprocess.Popen([sys.executable, "-m", "gridline", "hub", "serve", "--config", str(path)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert hub.poll() is None, hub.stderr.read() if hub.stderr else ""
                time.sleep(0.1)
        else:
            pytest.fail("the hub did not answer on the port its file names")
        assert (tmp_path / "data" / "hub.db").exists()  # the file's data_dir
    finally:
        hub.terminate()
        hub.wait(timeout=30)
