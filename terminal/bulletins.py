"""The kiosk's notices of 居务公开 (downlink kind ``bulletin``) as it shows them, derived from the inbox.

Per notice the body with the highest version counts (a withdrawal of the same version wins over the publication:
messages may arrive in any order); a notice whose newest body is a withdrawal, or whose ``expires_at`` has passed,
is not shown. Pinned notices come first, then the newest ``published_at``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from protocol import BULLETIN_KIND, BulletinBody, ProtocolError
from terminal.store import TerminalStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bulletin:
    message_id: str
    body: BulletinBody
    read: bool  # shown on this kiosk's screen (its READ confirmation is on its way to the hub, or there)


def latest_bulletins(store: TerminalStore) -> dict[str, Bulletin]:
    """notice id → the newest body held for it (withdrawals included)."""
    latest: dict[str, Bulletin] = {}
    for entry in store.inbox():
        if entry.kind != BULLETIN_KIND:
            continue
        try:
            body = BulletinBody.model_validate(entry.body)
        except ValueError as exc:  # a body this app version cannot read: kept in the inbox, not shown
            log.warning("inbox %s: unreadable bulletin: %s", entry.id, ProtocolError("invalid", str(exc)))
            continue
        seen = latest.get(body.notice_id)
        if seen is None or (body.version, body.withdrawn) > (seen.body.version, seen.body.withdrawn):
            latest[body.notice_id] = Bulletin(entry.id, body, entry.state == "read")
    return latest


def shown_bulletins(store: TerminalStore, now: datetime) -> list[Bulletin]:
    """What the notices screen lists: current, not withdrawn, not expired; pinned first, then newest."""
    found = [b for b in latest_bulletins(store).values()
             if not b.body.withdrawn and (b.body.expires_at is None or b.body.expires_at > now)]
    return sorted(found, key=lambda b: (not b.body.pinned, -b.body.published_at.timestamp(), b.body.notice_id))
