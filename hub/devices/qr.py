"""The enrolment QR: ``gridline://enroll?code=...&hub=...`` as a PNG (segno, pure Python), so an installer
scans it with the device instead of typing the code. terminal/enroll.py parses the same text."""
from __future__ import annotations

import io
from urllib.parse import urlencode

QR_SCHEME = "gridline://enroll"


def enrollment_uri(code: str, hub_url: str | None = None) -> str:
    params = {"code": code, **({"hub": hub_url.rstrip("/")} if hub_url else {})}
    return f"{QR_SCHEME}?{urlencode(params)}"


def qr_png(text: str, scale: int = 8) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
