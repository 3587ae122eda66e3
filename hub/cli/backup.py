"""``gridline hub backup|restore``: the database and the photo store, checked after a restore (hub/store/backup.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.cli.common import db_options, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser("backup", help="write the database and the photos into a new directory")
    backup.add_argument("--out", type=Path, required=True, help="the backup directory (must not exist)")
    db_options(backup)
    backup.set_defaults(func=_backup)
    restore = subparsers.add_parser("restore", help="restore a backup into an empty database and check it")
    restore.add_argument("--from", dest="source", type=Path, required=True, help="a directory `backup` wrote")
    db_options(restore)
    restore.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    from hub.store.backup import BackupError, backup

    settings = settings_from_args(args)
    try:
        manifest = backup(settings.db_url, settings.data_dir, args.out)
    except (BackupError, FileExistsError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {sum(manifest.tables.values())} rows in {len(manifest.tables)} tables and "
          f"{len(manifest.photos)} photos to {args.out}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from hub.store.backup import BackupError, restore

    settings = settings_from_args(args)
    try:
        manifest = restore(args.source, settings.db_url, settings.data_dir)
    except BackupError as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"restored and checked {sum(manifest.tables.values())} rows in {len(manifest.tables)} tables and "
          f"{len(manifest.photos)} photos (schema {manifest.revision})")
    return 0
