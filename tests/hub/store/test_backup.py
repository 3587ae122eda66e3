"""gridline hub backup / restore (hub/store/backup.py) on SQLite and PostgreSQL: a hub with records, photos and cases
is backed up while it runs, restored into an empty database and data dir, and holds every row and every photo with
its hash; a restore refuses a database that is not empty, a lost photo or row is reported, never passed over."""
from __future__ import annotations

import hashlib
import json

import pytest

from gridline.cli import main
from hub.cases import CaseService
from hub.mqtt.ingest import ingest_batch
from hub.store import HubStore
from hub.store.backup import BackupError, restore, table_counts
from tests.conftest import _fresh_pg_database
from tests.hub.conftest import Device, raw

PHOTOS = [b"\xff\xd8\xff\xe0" + bytes([n]) * 3000 for n in range(3)]


@pytest.fixture
def filled(store, clock):
    """The store with 10 reports, 3 photos (chunked as devices send them) and a hub-raised case."""
    device = Device("kiosk-backup")
    for data in PHOTOS:
        ingest_batch([raw(c) for c in device.photo_chunks(data)], store)
    ingest_batch([raw(device.report(note=f"第{n}个坑")) for n in range(10)], store)
    CaseService(store, clock=clock).open_case("backup-test", "E0101", grid_code=None, note="井盖")
    return store


@pytest.fixture
def empty_target(store, tmp_path):
    """An empty database of the same kind as ``store``'s, and a fresh data dir."""
    if store.engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'hub.db'}", tmp_path / "restored"
        return
    url, drop = _fresh_pg_database()
    yield url, tmp_path / "restored"
    drop()


def test_a_restore_holds_every_row_and_photo(filled, empty_target, tmp_path, capsys):
    store = filled
    source_counts = table_counts(store.db_url)
    assert source_counts["records"] == 10 and source_counts["photos"] == 3 and source_counts["cases"] == 1
    out = tmp_path / "backup"
    assert main(["hub", "backup", "--db", store.db_url, "--data-dir", str(store.data_dir), "--out", str(out)]) == 0
    url, data_dir = empty_target
    assert main(["hub", "restore", "--db", url, "--data-dir", str(data_dir), "--from", str(out)]) == 0, \
        capsys.readouterr().err
    assert table_counts(url) == source_counts
    for data in PHOTOS:
        sha = hashlib.sha256(data).hexdigest()
        assert (data_dir / "photos" / sha[:2] / sha).read_bytes() == data
    restored = HubStore(url, data_dir)
    try:
        restored.migrate()  # the restored schema is current: nothing to do, nothing fails
        assert sorted(r.payload_dict()["note"] for r in restored.list_records(kind="report", limit=100)[0]) == \
            sorted(f"第{n}个坑" for n in range(10))
    finally:
        restored.close()


def test_restore_refuses_a_database_that_is_not_empty(filled, tmp_path):
    out = tmp_path / "backup"
    assert main(["hub", "backup", "--db", filled.db_url, "--data-dir", str(filled.data_dir), "--out", str(out)]) == 0
    with pytest.raises(BackupError, match="not empty"):
        restore(out, filled.db_url, tmp_path / "elsewhere")


@pytest.mark.parametrize("lost", ["photo", "row"])
def test_a_lost_photo_or_row_is_reported(filled, empty_target, tmp_path, lost):
    out = tmp_path / "backup"
    assert main(["hub", "backup", "--db", filled.db_url, "--data-dir", str(filled.data_dir), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    if lost == "photo":
        manifest["photos"]["photos/00/" + "0" * 64] = 10  # a photo the archive does not hold
    else:
        manifest["tables"]["records"] += 1  # a row the dump does not hold
    (out / "manifest.json").write_text(json.dumps(manifest))
    url, data_dir = empty_target
    with pytest.raises(BackupError, match="missing" if lost == "photo" else "fewer rows"):
        restore(out, url, data_dir)
