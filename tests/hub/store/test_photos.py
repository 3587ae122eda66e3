"""Store contract, photos: chunks acked, assembled once complete, verified, written atomically."""
from __future__ import annotations

import hashlib
import os

from hub.mqtt.ingest import ingest_batch

from ..conftest import raw

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(4500)


def test_photo_assembled_from_chunks_across_batches(store, device):
    chunks = device.photo_chunks(JPEG, chunk=1000)
    assert len(chunks) == 5
    first = ingest_batch([raw(c) for c in chunks[:3]], store)
    assert [(a.sha256, a.index) for a in first.devices[device.id].chunks] == [(chunks[0].sha256, i) for i in range(3)]
    assert first.devices[device.id].photos == [] and store.get_photo(chunks[0].sha256) is None
    # chunk 4 before 3, and chunk 0 again: order and repeats don't matter
    second = ingest_batch([raw(chunks[4]), raw(chunks[0]), raw(chunks[3])], store)
    outcome = second.devices[device.id]
    assert [a.index for a in outcome.chunks] == [4, 0, 3]
    assert [(p.sha256, p.ok) for p in outcome.photos] == [(chunks[0].sha256, True)]
    photo = store.get_photo(chunks[0].sha256)
    assert photo.size == len(JPEG) and photo.mime == "image/jpeg" and photo.device_id == device.id
    path = store.photo_file(photo)
    assert path.read_bytes() == JPEG
    assert path.parent.name == photo.sha256[:2] and path.parent.parent.name == "photos"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp")]


def test_chunk_of_a_stored_photo_is_acked_and_reported_ok(store, device):
    chunks = device.photo_chunks(JPEG, chunk=2000)
    ingest_batch([raw(c) for c in chunks], store)
    late = ingest_batch([raw(chunks[1])], store).devices[device.id]
    assert [a.index for a in late.chunks] == [1] and [p.ok for p in late.photos] == [True]


def test_hash_mismatch_discards_chunks_and_reports_failure(store, device):
    wrong_sha = hashlib.sha256(b"something else").hexdigest()
    chunks = device.photo_chunks(JPEG, chunk=1500, sha256=wrong_sha)
    outcome = ingest_batch([raw(c) for c in chunks], store).devices[device.id]
    assert len(outcome.chunks) == len(chunks)
    assert [(p.ok, p.reason) for p in outcome.photos] == [(False, "hash_mismatch")]
    assert store.get_photo(wrong_sha) is None
    # chunks were discarded: a fresh complete upload is needed, a single chunk alone does nothing
    assert ingest_batch([raw(chunks[0])], store).devices[device.id].photos == []


def test_size_mismatch_is_refused(store, device):
    chunks = device.photo_chunks(JPEG, chunk=5000)
    [lying] = [c.model_copy(update={"total_size": len(JPEG) + 1}) for c in chunks]
    outcome = ingest_batch([raw(lying)], store).devices[device.id]
    assert [(p.ok, p.reason) for p in outcome.photos] == [(False, "size_mismatch")]


def test_chunk_index_beyond_count_is_dead_lettered(store, device):
    [chunk] = device.photo_chunks(JPEG, chunk=5000)
    bad = chunk.model_copy(update={"index": 3})
    result = ingest_batch([raw(bad)], store)
    assert device.id not in result.devices or not result.devices[device.id].chunks
    [letter] = store.list_dead_letters(device_id=device.id)
    assert letter.reason == "invalid" and "count" in letter.detail
