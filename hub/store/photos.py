"""Photo assembly from chunks and content-addressed storage on disk (``photos/ab/<sha256>``)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass


class PhotoRejected(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class StoredChunk:
    idx: int
    count: int
    total_size: int
    data: bytes


def sniff_mime(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "application/octet-stream"


def assemble(sha256: str, chunks: list[StoredChunk]) -> bytes:
    """Join chunks ordered by index and prove the result is the photo the device hashed."""
    chunks = sorted(chunks, key=lambda c: c.idx)
    counts = {c.count for c in chunks}
    sizes = {c.total_size for c in chunks}
    if len(counts) != 1 or len(sizes) != 1:
        raise PhotoRejected("inconsistent_chunks", f"counts={sorted(counts)} sizes={sorted(sizes)}")
    (count,), (size,) = counts, sizes
    if [c.idx for c in chunks] != list(range(count)):
        raise PhotoRejected("missing_chunks", f"have {len(chunks)} of {count}")
    data = b"".join(c.data for c in chunks)
    if len(data) != size:
        raise PhotoRejected("size_mismatch", f"assembled {len(data)} bytes, declared {size}")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise PhotoRejected("hash_mismatch", f"assembled data hashes to {actual}")
    return data


def photo_relpath(sha256: str) -> str:
    return f"photos/{sha256[:2]}/{sha256}"
