"""Keeps every known device's category list in step with the hub's taxonomy (downlink kind ``taxonomy``).

An admin disabling or renaming a category should reach the kiosks without anyone touching them. Each pass
builds the current list (enabled categories), hashes it, and queues one ``taxonomy`` downlink for every
registered device (``device_bindings``) whose latest queued list has another revision.
The downlink machinery does the rest (kept until confirmed, re-sent when the device comes online).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.org.repo import bound_device_ids
from hub.org.taxonomy import _default_raw, list_categories
from hub.store import HubStore
from hub.store import downlinks as downlink_rows
from hub.store.clock import utc_now
from protocol import TaxonomyBody, TaxonomyEntry, TaxonomyMajor

log = logging.getLogger(__name__)
KIND = "taxonomy"


def current_taxonomy(store: HubStore, now: datetime) -> TaxonomyBody | None:
    cats = list_categories(store, enabled_only=True)
    if not cats:
        return None
    used = {(c.kind, c.major_code) for c in cats}
    majors = [TaxonomyMajor(kind=m["kind"], major_code=m["major_code"], name_zh=m["name_zh"],
                            name_en=m.get("name_en", ""))
              for m in _default_raw().get("major_classes", []) if (m["kind"], m["major_code"]) in used]
    entries = [TaxonomyEntry(code=c.code, kind=c.kind, major_code=c.major_code, name_zh=c.name_zh,
                             name_en=c.name_en, urgent=c.urgent) for c in cats]
    content = json.dumps([m.model_dump() for m in majors] + [e.model_dump() for e in entries], sort_keys=True,
                         ensure_ascii=False)
    revision = hashlib.sha256(content.encode()).hexdigest()[:16]
    return TaxonomyBody(revision=revision, published_at=now, major_classes=majors, categories=entries)


class TaxonomySync:
    def __init__(self, store: HubStore, bridge: Any = None, *, clock: Callable[[], datetime] = utc_now):
        self.store, self.bridge, self.clock = store, bridge, clock
        self._sent: dict[str, str] | None = None  # device → revision of the latest queued list
        self._revision: str | None = None

    def _known_revisions(self) -> dict[str, str]:
        with self.store.read() as conn:
            rows = downlink_rows.of_kind(conn, KIND)
        sent = {}
        for device_id, body in rows:
            try:
                sent[device_id] = (json.loads(body) if isinstance(body, str) else body)["revision"]
            except (ValueError, KeyError, TypeError):
                continue
        return sent

    def run_once(self) -> int:
        """Queue (and send, with a bridge) the current list to devices that lack it; returns how many."""
        body = current_taxonomy(self.store, self.clock())
        if body is None:
            return 0
        if self._sent is None or body.revision != self._revision:
            # The list changed (or first pass): see what was queued, also by other hub workers, before sending.
            self._sent, self._revision = self._known_revisions(), body.revision
        with self.store.read() as conn:
            targets = bound_device_ids(conn)
        stale = sorted(d for d in targets if self._sent.get(d) != body.revision)
        payload = body.model_dump(mode="json")
        rows = []
        for device_id in stale:
            rows.append(self.store.queue_downlink(device_id, KIND, payload))
            self._sent[device_id] = body.revision
        if rows and self.bridge is not None:
            self.bridge.send_downlinks(rows)
        if rows:
            log.info("taxonomy %s queued for %d device(s)", body.revision, len(rows))
        return len(rows)

    def run_forever(self, stop: threading.Event, interval_s: float = 30.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("taxonomy sync pass failed; retrying")
            stop.wait(interval_s)
