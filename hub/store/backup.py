"""Backup and restore of a hub: its database (pg_dump / pg_restore for PostgreSQL, SQLite's online backup) and its
photo store (``data_dir/photos``; thumbnails are remade on demand), with a manifest of every table's row count and
every photo's hash, checked after a restore - a restore that lost a row or a photo says so instead of succeeding.

A backup directory: ``manifest.json``, ``db.dump`` (PostgreSQL, custom format) or ``hub.db`` (SQLite),
``photos.tar``. Restore goes into an EMPTY database (a fresh ``createdb``, or a SQLite path that does not exist yet),
so a slip cannot overwrite a live hub; the photo files are written beside whatever is already in data_dir."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hub.store.engine import create_hub_engine, normalize_db_url
from hub.store.migrate import current_revision
from hub.store.tables import metadata

MANIFEST = "manifest.json"
PHOTO_NAME = re.compile(r"^[0-9a-f]{64}$")
PHOTOS_TAR = "photos.tar"


class BackupError(RuntimeError):
    """The backup or restore cannot go on (a tool failed, the target is not empty, a check failed)."""


@dataclass
class Manifest:
    created_at: str
    backend: str  # postgresql | sqlite
    revision: str | None  # the schema's Alembic revision
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    photos: dict[str, int] = field(default_factory=dict)  # photos/ab/<sha256> → size


def table_counts(db_url: str) -> dict[str, int]:
    engine = create_hub_engine(db_url)
    try:
        with engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                    for t in metadata.sorted_tables if t.name in present}
    finally:
        engine.dispose()


def _libpq(db_url: str) -> tuple[str, dict[str, str]]:
    """(a libpq URL without the password, the environment carrying it): no password on a command line."""
    url = make_url(normalize_db_url(db_url))
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=6 * 3600)
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed (Debian: apt install postgresql-client)") from None
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[-2000:]}")


def _sqlite_path(db_url: str) -> Path:
    database = make_url(db_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _photo_files(data_dir: Path) -> dict[str, int]:
    """The stored photos (files named by their sha256; a half-written temporary file is not one)."""
    root = data_dir / "photos"
    found = sorted(p for p in root.rglob("*") if p.is_file() and PHOTO_NAME.match(p.name)) if root.is_dir() else []
    return {str(p.relative_to(data_dir)): p.stat().st_size for p in found}


def backup(db_url: str, data_dir: Path, out: Path) -> Manifest:
    """Write a backup of the hub at ``db_url`` / ``data_dir`` into the new directory ``out``."""
    out.mkdir(parents=True, exist_ok=False)
    backend = make_url(normalize_db_url(db_url)).get_backend_name()
    # the counts first: rows that arrive during the dump are in the dump, so a restore holds at least these
    manifest = Manifest(datetime.now(UTC).isoformat(), backend, current_revision(db_url), table_counts(db_url))
    if backend == "postgresql":
        url, env = _libpq(db_url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={out / 'db.dump'}", url], env)
    else:
        source = sqlite3.connect(_sqlite_path(db_url))
        target = sqlite3.connect(out / "hub.db")
        try:
            source.backup(target)  # consistent while the hub keeps writing (WAL)
        finally:
            target.close()
            source.close()
    manifest.photos = _photo_files(data_dir)
    with tarfile.open(out / PHOTOS_TAR, "w") as tar:
        for rel in manifest.photos:
            tar.add(data_dir / rel, arcname=rel)
    (out / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True))
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        return Manifest(**json.loads((source / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} is not a Gridline backup ({MANIFEST}: {exc})") from None


def restore(source: Path, db_url: str, data_dir: Path) -> Manifest:
    """Restore the backup in ``source`` into the empty database ``db_url`` and ``data_dir``; then check that every
    table holds at least the manifest's rows and every photo is there with its hash. Returns the manifest."""
    manifest = read_manifest(source)
    backend = make_url(normalize_db_url(db_url)).get_backend_name()
    if backend != manifest.backend:
        raise BackupError(f"the backup is of a {manifest.backend} hub, the target is {backend}")
    if any(table_counts(db_url).values()) if backend == "postgresql" else _sqlite_path(db_url).exists():
        raise BackupError("the target database is not empty: restore into a fresh one (createdb, or a new path)")
    if backend == "postgresql":
        url, env = _libpq(db_url)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={url}",
              str(source / "db.dump")], env)
    else:
        target = _sqlite_path(db_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / "hub.db", target)
    data_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / PHOTOS_TAR) as tar:
        tar.extractall(data_dir, filter="data")  # no paths outside data_dir, no devices or links
    _verify(manifest, db_url, data_dir)
    return manifest


def _verify(manifest: Manifest, db_url: str, data_dir: Path) -> None:
    counts = table_counts(db_url)
    short = {t: (n, counts.get(t, 0)) for t, n in manifest.tables.items() if counts.get(t, 0) < n}
    if short:
        raise BackupError(f"restored tables hold fewer rows than backed up (table: backed up, restored): {short}")
    for rel, size in manifest.photos.items():
        path = data_dir / rel
        if not path.is_file() or path.stat().st_size != size:
            raise BackupError(f"photo {rel} is missing or truncated after the restore")
        if hashlib.sha256(path.read_bytes()).hexdigest() != Path(rel).name:
            raise BackupError(f"photo {rel} does not match its hash after the restore")
