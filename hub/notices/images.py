"""A notice's images as the kiosks get them: re-encoded JPEGs of at most ``MAX_BULLETIN_IMAGE_BYTES``.

An operator uploads whatever the camera or the scanner gave (several MB); the kiosk needs a panel-sized picture
inside the notice's downlink body. Each upload is decoded (``hub.store.jpeg``: a file that is no image is refused,
and nothing but pixels is kept: no EXIF, no GPS), scaled to ``LONG_SIDE`` px and encoded at falling quality, then
smaller sizes, until it fits.
"""
from __future__ import annotations

import base64
import binascii
import hashlib

from hub.store import jpeg
from protocol import MAX_BULLETIN_IMAGE_BYTES

LONG_SIDE = 960  # px: readable on a kiosk's detail pane (a scanned finance table stays legible at this size)
QUALITIES = (75, 60, 45, 35)
SHRINK = 0.8  # when no quality fits, try again 20 % smaller
MAX_UPLOAD_BYTES = 12 * 1024 * 1024  # a scanned page as a phone photographs it; anything larger is refused


class ImageRefused(ValueError):
    pass


def decode_upload(text: str) -> bytes:
    """The bytes of an upload sent as base64 (a ``data:image/...;base64,`` URL prefix is allowed)."""
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRefused("not base64") from None
    if not data:
        raise ImageRefused("empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRefused(f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    return data


def fit_image(data: bytes, max_bytes: int = MAX_BULLETIN_IMAGE_BYTES, long_side: int = LONG_SIDE) -> dict[str, str]:
    """``{"sha256", "jpeg_b64"}`` of a JPEG of ``data`` within ``max_bytes``; ImageRefused if it is no image."""
    image = jpeg.decode(data) if data else None
    if image is None:
        raise ImageRefused("not an image (JPEG, PNG, ...)")
    side = long_side
    while side >= 64:
        made = jpeg.encode_within(image, side, max_bytes, QUALITIES)
        if made is not None:
            return {"sha256": hashlib.sha256(made).hexdigest(), "jpeg_b64": base64.b64encode(made).decode()}
        side = int(min(side, max(image.size)) * SHRINK)
    raise ImageRefused("cannot be made small enough")
