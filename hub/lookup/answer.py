"""One lookup, answered: a plain function of (request, store). What a resident may see and nothing more.

Scope: the asking device must be a kiosk bound to a unit of a community; only that community's cases are searched,
and a case elsewhere is answered ``not_found`` exactly like one that does not exist. Privacy: the answer names no
person (reporter, assignee, resolver), carries no position, and no free text but the public note an operator
approved (``cases.public_note``; the reporter's own note stays private, as in Open311, ``hub/open311/redact.py``).
"""
from __future__ import annotations

import base64
import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from hub.cases.thumbnails import make_thumbnail
from hub.lookup import repo
from hub.store import HubStore
from protocol import LookupAnswer, LookupCase, LookupRequest
from protocol.messages import MAX_LOOKUP_CASES, MAX_THUMBNAIL_B64

log = logging.getLogger(__name__)

THUMB_LONG_SIDE = 240  # px: a kiosk shows it about 4 cm wide


def thumbnail(image_bytes: bytes, long_side: int = THUMB_LONG_SIDE) -> bytes | None:
    """A small JPEG of a photo (None: not an image, or no quality fits the answer's field once in base64)."""
    return make_thumbnail(image_bytes, long_side, max_bytes=(MAX_THUMBNAIL_B64 - 4) * 3 // 4)


@lru_cache(maxsize=512)
def _thumbnail_b64(path: str) -> str:
    """A stored photo's thumbnail, base64; cached: photos are named by their content hash and never change."""
    small = thumbnail(Path(path).read_bytes())
    return base64.b64encode(small).decode() if small is not None else ""


def _result_thumbnail(store: HubStore, shas: list[str]) -> str:
    for sha in reversed(shas):  # the last photo of the latest resolution first
        photo = store.get_photo(sha)
        if photo is None:
            continue  # not uploaded completely yet: the next lookup may have it
        try:
            small = _thumbnail_b64(str(store.photo_file(photo)))
        except OSError as exc:
            log.warning("lookup: photo %s unreadable: %s", sha[:12], exc)
            continue
        if small:
            return small
    return ""


def _case(row: dict[str, Any], names: tuple[str, str], thumb: str) -> LookupCase:
    return LookupCase(reference=row.get("reference"), receipt_code=row.get("receipt_code"), state=row["state"],
                      category=row["category_code"], category_name=names[0][:64], category_name_en=names[1][:128],
                      reported_at=row["created_at"], deadline=row.get("deadline"),
                      public_note=row.get("public_note") or "", result_thumbnail=thumb)


def answer_lookup(request: LookupRequest, store: HubStore, now: datetime) -> LookupAnswer:
    with store.read() as conn:
        community = repo.kiosk_community(conn, request.device_id)
        if community is None:
            return LookupAnswer(request_id=request.id, query=request.query, status="refused", answered_at=now)
        rows = repo.cases_named(conn, request.query, community)[:MAX_LOOKUP_CASES]
        names = {code: repo.category_names(conn, code) for code in {r["category_code"] for r in rows}}
        photos = repo.result_photos(conn, [r["id"] for r in rows])
    if not rows:
        return LookupAnswer(request_id=request.id, query=request.query, status="not_found", answered_at=now)
    cases = [_case(r, names[r["category_code"]], _result_thumbnail(store, photos.get(r["id"], []))) for r in rows]
    return LookupAnswer(request_id=request.id, query=request.query, status="found", cases=cases, answered_at=now)
