"""The dashboard's live views as JSON-ready items: the case feed (from the audit trail) and recent positions
with short tails. The rows come from their owners (``hub.cases.views_repo``, ``hub.store.positions``).

Scope follows the unit hierarchy (``scope_code``: the operator's unit, whose subtree by ``parent_code`` is
shown - codes need not nest by prefix: city 440400 → district 440402). A case belongs to its grid, or to its
community when it could not be placed in a grid (属地兜底).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.cases import views_repo
from hub.store.positions import (
    LIVE_MAX_AGE,
    TAIL_POINTS,
    TAIL_ROW_CAP,
    TAIL_WINDOW,
    position_of,
    positions_after,
    positions_cursor,
    recent_tails,
)
from hub.welfare import WELFARE_CATEGORY

SHA256 = re.compile(r"[0-9a-f]{64}")

__all__ = ["LIVE_MAX_AGE", "TAIL_POINTS", "TAIL_ROW_CAP", "TAIL_WINDOW", "case_unit", "event_ids_after",
           "evidence_photos", "feed_after", "feed_item", "max_case_event_id", "position_of", "positions_after",
           "positions_cursor", "recent_feed", "recent_tails", "report_photos"]


def case_unit(grid_code: str | None, community_code: str | None) -> str | None:
    return grid_code or community_code


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _is_sha256(value: object) -> bool:
    """Only what can be a stored photo's name reaches a page (a page builds /api/photos/<sha> URLs from it)."""
    return isinstance(value, str) and SHA256.fullmatch(value) is not None


def report_photos(payload: str | None) -> list[str]:
    """The photo names of a report record's payload (its ``photos``), in order."""
    return _photos(payload)


def _photos(payload: str | None) -> list[str]:
    if not payload:
        return []
    try:
        return [p["sha256"] for p in json.loads(payload).get("photos", [])
                if isinstance(p, dict) and _is_sha256(p.get("sha256"))]
    except (ValueError, AttributeError, TypeError):
        return []


def evidence_photos(evidence: object) -> list[str]:
    """The photo names among an event's evidence (anything else is dropped)."""
    return [sha for sha in evidence if _is_sha256(sha)] if isinstance(evidence, list) else []


def feed_item(m: Mapping[str, Any]) -> dict[str, Any]:
    """One feed entry (JSON-ready) from a row of :func:`hub.cases.views_repo.feed_rows_after`. Names come along
    with the codes (category, grid, community, who acted, the assignee, the case's reference), and the photos in
    two labelled sets: ``report_photos`` (what the report showed: before) and ``evidence_photos`` (what this
    event cited, e.g. a resolution's after pictures). ``photos`` is both, for older pages."""
    report = _photos(m["source_payload"])
    evidence = evidence_photos(m["evidence"])
    return {
        "event_id": m["id"], "case_id": m["case_id"], "reference": m.get("reference"),
        "transition": m["transition"], "from_state": m["from_state"], "to_state": m["to_state"], "at": _iso(m["at"]),
        "actor": m["actor"], "actor_name": m["actor_name"], "actor_device": m["actor_device"],
        "assignee": m["event_assignee"] or m["assignee"], "assignee_name": m.get("assignee_name"),
        "reason": m["reason"], "note": m["event_note"],
        "state": m["state"], "level": m["level"], "title": m["title"], "case_note": m["note"],
        "severity": m.get("severity"), "alarm": m.get("alarm_at") is not None and m.get("alarm_acked_at") is None,
        "category_code": m["category_code"], "category_zh": m["name_zh"], "category_en": m["name_en"],
        "grid_code": m["grid_code"], "grid_name": m.get("grid_name"), "community_code": m["community_code"],
        "community_name": m.get("community_name"),
        "unit": case_unit(m["grid_code"], m["community_code"]), "lat": m["lat"], "lon": m["lon"],
        "report_count": m["report_count"], "deadline": _iso(m["deadline"]), "escalation_level": m["escalation_level"],
        "welfare": m["category_code"] == WELFARE_CATEGORY,
        "report_photos": report[:9], "evidence_photos": evidence[:9],
        "photos": (report + [sha for sha in evidence if sha not in report])[:9],
    }


def feed_after(conn: sa.Connection, after_id: int, *, extra_ids: Iterable[int] = (), scope_code: str | None = None,
               limit: int = 500) -> list[dict[str, Any]]:
    """Applied case events with id > ``after_id`` (plus ``extra_ids``: late commits below it), oldest first."""
    return [feed_item(r) for r in views_repo.feed_rows_after(conn, after_id, extra_ids=extra_ids,
                                                             scope_unit=scope_code, limit=limit)]


def event_ids_after(conn: sa.Connection, after_id: int, extra_ids: Iterable[int] = (), limit: int = 2000) -> list[int]:
    """Every case event id (any outcome) past the cursor: the cursor must move over rejected ones too."""
    return views_repo.event_ids_after(conn, after_id, extra_ids, limit)


def recent_feed(conn: sa.Connection, scope_code: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest feed entries in scope (None: everything), oldest first (what the feed shows on load)."""
    return [feed_item(r) for r in views_repo.recent_feed_rows(conn, scope_code, limit)]


def max_case_event_id(conn: sa.Connection) -> int:
    return views_repo.max_event_id(conn)
