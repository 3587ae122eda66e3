"""The ``dead_letter_replays`` table's one owner: every replay of a dead letter by an admin, with its outcome."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.store.tables import dead_letter_replays


@dataclass(frozen=True)
class Replay:
    id: int
    dead_letter_id: int
    at: datetime
    by_operator: str
    outcome: str  # stored | duplicate | conflict | dead | nothing
    detail: str
    new_dead_letter_id: int | None


def insert(conn: sa.Connection, *, dead_letter_id: int, at: datetime, by_operator: str, outcome: str, detail: str,
           new_dead_letter_id: int | None) -> Replay:
    values: dict[str, Any] = {"dead_letter_id": dead_letter_id, "at": at, "by_operator": by_operator,
                              "outcome": outcome, "detail": detail[:2000], "new_dead_letter_id": new_dead_letter_id}
    key = conn.execute(sa.insert(dead_letter_replays).values(**values)).inserted_primary_key
    assert key is not None
    return Replay(id=int(key[0]), **values)

def of_letters(conn: sa.Connection, letter_ids: Iterable[int]) -> dict[int, list[Replay]]:
    """letter id → its replays, oldest first."""
    ids = sorted(set(letter_ids))
    found: dict[int, list[Replay]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (sa.select(dead_letter_replays).where(dead_letter_replays.c.dead_letter_id.in_(ids))
             .order_by(dead_letter_replays.c.id))
    for r in conn.execute(query):
        found[r.dead_letter_id].append(Replay(**r._mapping))
    return found
