"""What a topic looks like on the wire, built from its row: the kiosks' ``DeliberationTopic`` and the closed vote's
``VoteResult``. Plain functions of rows: no SQL here."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from protocol import DeliberationTopic, OptionCount, PublicComment, VoteResult, VoteSpec
from protocol.deliberation import MAX_PUBLIC_COMMENTS


def vote_spec(row: dict[str, Any]) -> VoteSpec | None:
    if not row.get("vote"):
        return None
    return VoteSpec.model_validate({**row["vote"], "closed": row.get("vote_closed_at") is not None})


def topic_body(row: dict[str, Any], approved: list[dict[str, Any]], now: datetime) -> DeliberationTopic:
    """The topic as its kiosks show it; ``approved``: its approved comments, newest first (no resident key)."""
    public = [PublicComment(id=c["record_id"], text=c["text"], made_at=c["made_at"])
              for c in approved[:MAX_PUBLIC_COMMENTS]]
    return DeliberationTopic(topic_id=row["id"], version=row["version"], state=row["state"], title=row["title"],
                             background=row["background"], images=list(row["images"] or []),
                             comments_until=row["comments_until"], vote=vote_spec(row), comments=public,
                             published_at=now)


def eligible_cards(row: dict[str, Any]) -> int | None:
    """How many cards may vote, when known: the representatives' list, else the number the operator gave."""
    vote = row.get("vote") or {}
    if vote.get("eligibility") == "representatives":
        return len(row.get("representatives") or [])
    count = row.get("eligible_count")
    return int(count) if count is not None else None


def result_body(row: dict[str, Any], counts: dict[str, int], closed_at: datetime) -> VoteResult:
    spec = vote_spec(row)
    options = [o.key for o in spec.options] if spec else sorted(counts)
    voters = sum(counts.values())
    eligible = eligible_cards(row)
    turnout = round(min(1.0, voters / eligible), 4) if eligible else None
    return VoteResult(topic_id=row["id"], counts=[OptionCount(option=k, count=counts.get(k, 0)) for k in options],
                      voters=voters, eligible=eligible, turnout=turnout, resolution=row.get("resolution") or "",
                      notice_id=row.get("notice_id"), closed_at=closed_at)
