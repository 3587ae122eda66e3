"""Helpers every ``gridline hub`` command group shares: settings from the command line, a migrated
database, and the ``--db`` / ``--data-dir`` options."""
from __future__ import annotations

import argparse
from typing import Any

from hub.config_file import load_settings
from hub.settings import HubSettings
from hub.store.db import Database


def host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


def config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="the hub's TOML configuration file (docs/configuration.md; default "
                        "$GRIDLINE_CONFIG); GRIDLINE_* variables and options override it")


def db_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: from GRIDLINE_DB_URL / data dir)")
    parser.add_argument("--data-dir")
    config_option(parser)


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The settings this command's options set."""
    overrides: dict[str, Any] = {}
    if getattr(args, "broker", None):
        overrides["broker_url"] = args.broker
    if getattr(args, "db", None):
        overrides["db_url"] = args.db
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    if getattr(args, "http", None):
        overrides["http_host"], overrides["http_port"] = args.http
    if getattr(args, "client_id", None):
        overrides["client_id"] = args.client_id
    if getattr(args, "share_group", None):
        overrides["share_group"] = args.share_group
    return overrides


def settings_from_args(args: argparse.Namespace) -> HubSettings:
    """``HubSettings`` from the configuration file (``--config``), the environment, and whichever options this
    command has, in rising order of strength."""
    return load_settings(getattr(args, "config", None), overrides_from_args(args))


def migrated_db_url(args: argparse.Namespace) -> str:
    """The database URL the command works on, migrated first (safe on every run: an import into a fresh
    database just works)."""
    from hub.store import upgrade

    url = settings_from_args(args).db_url
    upgrade(url)
    return url


def migrated_db(args: argparse.Namespace) -> Database:
    return Database.from_url(migrated_db_url(args))
