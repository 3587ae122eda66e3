from __future__ import annotations

import argparse

import pytest
from pydantic import ValidationError

from hub import cli
from hub.cli.common import settings_from_args
from hub.settings import HubSettings
from hub.store import normalize_db_url


def test_defaults_put_sqlite_in_data_dir(tmp_path):
    settings = HubSettings(data_dir=tmp_path)
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'hub.db'}"
    assert settings.batch_max == 500 and settings.env == "dev"


def test_env_prefix(monkeypatch):
    monkeypatch.setenv("GRIDLINE_BATCH_MAX", "42")
    monkeypatch.setenv("GRIDLINE_SHARE_GROUP", "hubs")
    settings = HubSettings()
    assert settings.batch_max == 42 and settings.share_group == "hubs"


@pytest.mark.parametrize("secret", ["", "changeme", "short"])
def test_weak_secret_refused_in_prod(secret):
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        HubSettings(env="prod", secret_key=secret)


def test_strong_secret_accepted_in_prod():
    assert HubSettings(env="prod", secret_key="k" * 8 + "9f3a2b7c1d").env == "prod"


def test_postgres_urls_use_psycopg3():
    assert normalize_db_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_db_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_db_url("sqlite:///x.db") == "sqlite:///x.db"


def test_cli_migrate(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(required=True))
    args = parser.parse_args(["migrate", "--db", f"sqlite:///{tmp_path / 'm.db'}"])
    assert args.func(args) == 0
    from alembic.script import ScriptDirectory

    from hub.store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert capsys.readouterr().out.strip() == f"database at revision {head}"


def test_cli_serve_arguments():
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(required=True))
    args = parser.parse_args(["serve", "--broker", "embedded", "--http", "0.0.0.0:9000", "--data-dir", "/srv/g"])
    settings = settings_from_args(args)
    assert (settings.broker_url, settings.http_host, settings.http_port) == ("embedded", "0.0.0.0", 9000)
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--http", "nonsense"])
