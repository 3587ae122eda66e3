"""What a lookup reads: the asking kiosk's community, the cases a quoted number names in it, their category names
and resolution photos. Reads only, through the owning domains' repository functions (org, cases): this package
owns no table."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hub.cases import views_repo
from hub.org import repo as org_repo

RESULT_TRANSITIONS = ("resolve", "auto_resolve")  # events whose evidence is the "after" picture


def kiosk_community(conn: sa.Connection, device_id: str) -> str | None:
    """The community of the unit a kiosk is bound to (a grid's parent, or the community itself); None for a device
    that is not a kiosk, is bound nowhere or sits outside every community."""
    binding = org_repo.binding_view()
    row = conn.execute(sa.select(binding.c.kind, binding.c.unit_code)
                       .where(binding.c.device_id == device_id)).first()
    if row is None or row.kind != "kiosk" or not row.unit_code:
        return None
    return next((link.code for link in org_repo.unit_chain(conn, row.unit_code) if link.level == "community"), None)


def cases_named(conn: sa.Connection, query: str, community: str) -> list[dict[str, Any]]:
    """The cases of ``community`` that ``query`` (a reference or a receipt code) names, newest first."""
    return views_repo.lookup_cases(conn, query, scope_units=org_repo.unit_subtree(community))


def category_names(conn: sa.Connection, code: str) -> tuple[str, str]:
    row = org_repo.category_row(conn, code)
    return (row["name_zh"], row.get("name_en") or "") if row else ("", "")


def result_photos(conn: sa.Connection, case_ids: Sequence[str]) -> dict[str, list[str]]:
    """case id → the sha256s of its latest resolution's photos (only cases that have any)."""
    found = views_repo.latest_evidence(conn, case_ids, RESULT_TRANSITIONS)
    return {case_id: [str(sha) for sha in shas if isinstance(sha, str)] for case_id, shas in found.items()}
