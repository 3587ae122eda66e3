"""Store contract, records: exactly once, identical resends re-receipted, conflicts kept aside.
Runs against SQLite and PostgreSQL (``db_url`` is parametrised)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.store import DeadLetter, HubStore, Inbound, current_revision
from hub.store.items import DeviceOutcome
from protocol import ChunkAck, Receipt, uuid7

from ..conftest import T0, Device, raw


def test_migrations_are_idempotent_and_at_head(store):
    from alembic.script import ScriptDirectory

    from hub.store.migrate import alembic_config

    store.migrate()  # second run is a no-op
    assert current_revision(store.db_url) == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_new_records_are_committed_and_stored_once(store, device):
    reports = [device.report(f"pothole {i}") for i in range(5)]
    result = ingest_batch([raw(r) for r in reports], store)
    assert result.devices[device.id].committed == [r.id for r in reports]
    assert result.stored_records == 5 and result.duplicate_records == 0
    assert store.count_records(device_id=device.id) == 5
    assert store.stored_seqs(device.id) == [1, 2, 3, 4, 5]
    row = store.get_record(reports[2].id)
    assert row.kind == "report" and row.seq == 3 and row.device_time == T0
    assert row.payload_dict()["note"] == "pothole 2"


def test_identical_resend_is_a_noop_but_receipted_again(store, device):
    report = device.report("fallen tree")
    ingest_batch([raw(report)], store)
    again = ingest_batch([raw(report), raw(report)], store)
    assert again.devices[device.id].committed == [report.id, report.id]
    assert again.duplicate_records == 2 and again.stored_records == 0
    assert store.count_records(device_id=device.id) == 1


def test_resend_with_other_key_order_counts_as_identical(store, device):
    report = device.report("same content")
    ingest_batch([raw(report)], store)
    first = raw(report)
    reordered = json.dumps(dict(reversed(list(json.loads(first.payload).items()))), indent=1).encode()
    assert reordered != first.payload
    result = ingest_batch([RawMessage(first.topic, reordered, T0)], store)
    assert result.devices[device.id].committed == [report.id]
    assert result.duplicate_records == 1


def test_same_id_different_content_is_rejected_and_original_kept(store, device):
    original = device.report("original", seq=1)
    ingest_batch([raw(original)], store)
    impostor = device.report("tampered", record_id=original.id, seq=1)
    result = ingest_batch([raw(impostor)], store)
    outcome = result.devices[device.id]
    assert outcome.committed == []
    assert [(r.id, r.reason) for r in outcome.rejected] == [(original.id, "conflict")]
    assert store.get_record(original.id).payload_dict()["note"] == "original"
    [letter] = store.list_dead_letters(reason="conflict")
    assert letter.device_id == device.id and b"tampered" in letter.payload


def test_conflict_inside_one_batch_keeps_the_first_copy(store, device):
    first = device.report("first", seq=1)
    second = device.report("second", record_id=first.id, seq=1)
    result = ingest_batch([raw(first), raw(second)], store)
    assert result.devices[device.id].committed == [first.id]
    assert [r.reason for r in result.devices[device.id].rejected] == ["conflict"]
    assert store.get_record(first.id).payload_dict()["note"] == "first"


def test_batch_is_one_transaction(store, device, monkeypatch):
    """A failure late in the batch leaves nothing of it behind (so nothing gets receipted)."""
    from hub.store import batch as batch_module

    def explode(self):
        raise sa.exc.OperationalError("dead letters", {}, Exception("disk I/O error"))

    monkeypatch.setattr(batch_module.BatchWriter, "_store_dead_letters", explode)
    with pytest.raises(sa.exc.OperationalError):
        ingest_batch([raw(device.report()) for _ in range(3)], store)
    assert store.count_records() == 0


def test_many_devices_large_batch(store):
    devices = [Device(f"phone-{i:03d}") for i in range(20)]
    raws = [raw(d.report()) for _ in range(60) for d in devices]  # 1200 > one SQL chunk
    result = ingest_batch(raws, store)
    assert result.stored_records == 1200
    assert all(len(result.devices[d.id].committed) == 60 for d in devices)
    assert store.count_records() == 1200 and store.duplicate_seqs() == []
    receipts = result.devices[devices[0].id].receipts(devices[0].id, T0)
    assert len(receipts) == 1 and len(receipts[0].committed) == 60


def test_receipts_are_split_at_the_protocol_cap(store, device):
    raws = [raw(device.report()) for _ in range(1500)]
    outcome = ingest_batch(raws, store).devices[device.id]
    receipts = outcome.receipts(device.id, T0)
    assert [len(r.committed) for r in receipts] == [1000, 500]
    assert [i for r in receipts for i in r.committed] == outcome.committed


def test_a_records_only_outcome_gets_the_receipt_of_the_general_path():
    ids = [uuid7() for _ in range(1001)]
    assert DeviceOutcome().receipts("dev-1", T0) == []
    assert DeviceOutcome(committed=ids[:1]).receipts("dev-1", T0) == [Receipt(device_id="dev-1", committed=ids[:1],
                                                                               at=T0)]
    assert [r.committed for r in DeviceOutcome(committed=ids[:1000]).receipts("dev-1", T0)] == [ids[:1000]]
    assert [r.committed for r in DeviceOutcome(committed=ids).receipts("dev-1", T0)] == [ids[:1000], ids[1000:]]
    chunk = ChunkAck(sha256="a" * 64, index=0)
    assert DeviceOutcome(committed=ids[:2], chunks=[chunk]).receipts("dev-1", T0) == [
        Receipt(device_id="dev-1", committed=ids[:2], chunks=[chunk], at=T0)]


def test_duplicate_seqs_detects_reminted_ids(store, device):
    ingest_batch([raw(device.report(seq=7)), raw(device.report(seq=7))], store)
    [group] = store.duplicate_seqs(device.id)
    assert (group.device_id, group.seq, group.count) == (device.id, 7, 2)


def test_records_listing_filters_and_pages(store, clock):
    a, b = Device("kiosk-aaa"), Device("kiosk-bbb")
    ingest_batch([raw(a.report(), T0), raw(b.report(), T0)], store)
    later = T0.replace(hour=9)
    ingest_batch([raw(a.report(), later) for _ in range(3)], store)
    rows, cursor = store.list_records(device_id=a.id, limit=2)
    assert len(rows) == 2 and cursor
    rest, end = store.list_records(device_id=a.id, limit=2, cursor=cursor)
    assert len(rest) == 2 and end is None
    assert {r.id for r in rows} | {r.id for r in rest} == {r.id for r in store.list_records(device_id=a.id)[0]}
    assert len(store.list_records(since=later)[0]) == 3
    assert len(store.list_records(until=later)[0]) == 2
    assert store.list_records(kind="checkin")[0] == []


def test_store_reopened_keeps_data(db_url, tmp_path, device):
    first = HubStore(db_url, tmp_path / "d")
    first.migrate()
    report = device.report()
    first.store_batch([Inbound("t", b"", T0, report)])
    first.close()
    second = HubStore(db_url, tmp_path / "d")
    assert second.get_record(report.id) is not None
    second.store_batch([DeadLetter("t", b"\x00" * 10, T0, "not_json", "nul \x00 inside", None)])
    assert second.list_dead_letters()[0].payload == b"\x00" * 10
    second.close()
