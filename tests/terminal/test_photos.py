"""Photo files: content-addressed, atomic, chunked; corruption is detected; synthetic photos are real JPEGs."""
from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from protocol import MAX_CHUNK_BYTES
from terminal.photos import PhotoCorruptError, PhotoStore, chunk_count, slice_chunk, synthetic_photo


def test_synthetic_photo_is_a_deterministic_decodable_jpeg():
    photo = synthetic_photo(7, 640, 480)
    assert photo[:3] == b"\xff\xd8\xff"
    image = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (480, 640, 3)
    assert synthetic_photo(7, 640, 480) == photo
    assert synthetic_photo(8, 640, 480) != photo
    assert 20_000 < len(photo) < 400_000  # phone-photo-like, several chunks


def test_save_is_content_addressed_and_chunks_reassemble(tmp_path):
    photos = PhotoStore(tmp_path, chunk_size=16 * 1024)
    data = synthetic_photo(1)
    saved = photos.save(data)
    assert saved.sha256 == hashlib.sha256(data).hexdigest()
    assert saved.path == photos.path_for(saved.sha256) and saved.path.read_bytes() == data
    assert saved.chunk_count == chunk_count(len(data), 16 * 1024) > 1
    pieces = [slice_chunk(data, i, 16 * 1024) for i in range(saved.chunk_count)]
    assert b"".join(pieces) == data and all(len(p) <= 16 * 1024 for p in pieces)
    with pytest.raises(IndexError):
        slice_chunk(data, saved.chunk_count, 16 * 1024)
    assert photos.save(data) == saved  # idempotent
    assert not list(saved.path.parent.glob(".incoming-*"))  # no temp files left behind


def test_corrupt_or_missing_photo_is_reported(tmp_path):
    photos = PhotoStore(tmp_path)
    saved = photos.save(synthetic_photo(2))
    assert photos.read_verified(saved.sha256) == saved.path.read_bytes()
    raw = bytearray(saved.path.read_bytes())
    raw[1000] ^= 0xFF
    saved.path.write_bytes(bytes(raw))
    with pytest.raises(PhotoCorruptError, match="hash mismatch"):
        photos.read_verified(saved.sha256)
    saved.path.unlink()
    with pytest.raises(PhotoCorruptError, match="missing"):
        photos.read_verified(saved.sha256)


def test_chunk_size_limits(tmp_path):
    with pytest.raises(ValueError):
        PhotoStore(tmp_path, chunk_size=MAX_CHUNK_BYTES + 1)
    assert PhotoStore(tmp_path, chunk_size=MAX_CHUNK_BYTES).chunk_size == MAX_CHUNK_BYTES
