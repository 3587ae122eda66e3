"""JPEGs the hub makes from pictures people sent (task thumbnails, notice images), with Pillow - the hub installs no
OpenCV. Decoding keeps nothing but pixels (no EXIF, no GPS: a phone photo's position never travels on), turned
upright by its EXIF orientation first; encoding steps quality down until the JPEG fits its budget."""
from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageOps


def decode(data: bytes, *, draft_side: int | None = None) -> Image.Image | None:
    """The picture in ``data`` as RGB pixels, or None if it is no image (or truncated, or absurdly large).
    ``draft_side``: a JPEG may be decoded at a fraction of its size (DCT scaling) when only this much is needed."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if draft_side:
                opened.draft("RGB", (draft_side, draft_side))
            return ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def encode_within(image: Image.Image, long_side: int, max_bytes: int, qualities: Sequence[int]) -> bytes | None:
    """A JPEG of ``image`` at most ``long_side`` px on its long side and ``max_bytes``, at the first of
    ``qualities`` that fits; None if none does."""
    scaled = image.copy()
    scaled.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    for quality in qualities:
        out = io.BytesIO()
        scaled.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= max_bytes:
            return out.getvalue()
    return None
