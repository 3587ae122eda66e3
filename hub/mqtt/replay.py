"""Replaying a dead letter after a fix (an admin's button on the dead letters page).

A message the hub refused - a device not yet bound, a category disabled, a hub bug since fixed - is kept in
``dead_letters`` with its bytes. Replay feeds exactly those bytes, on their topic and with their arrival time,
through the normal ingest path (:func:`hub.mqtt.ingest.ingest_batch`: decode, checks, one transaction) as if the
broker had delivered them again; nothing about the payload can be edited, so a replay can never put words in a
device's mouth. The outcome is recorded beside the letter:

- ``stored``: accepted now (the jobs are rung: a report is filed, an action applied, ...);
- ``duplicate``: the record was already stored;
- ``applied`` / ``rejected``: a phone's action that was stored but could not be applied (``action_no_owner``: the
  phone had no owner; ``action_unknown_case``...) is applied again by the action job's own code (``reapply``):
  applied now, or refused by the case machine (a rejected audit event, as any stale action);
- ``conflict``: a different record with the same id is stored;
- ``dead``: refused again - the new dead letter and its reason are shown;
- ``nothing``: not for ingest (the hub's own status).

A letter whose payload was cut to the hub's cap, or that never came off the wire (a presence update the database
refused), cannot be replayed (:class:`ReplayRefused`).

After an outage an operator may have hundreds: :func:`replay_many` replays up to ``BULK_CAP`` letters in one go,
oldest first, each exactly as one replay (its own transaction and replay row), and says per letter what became of
it; a letter the caller may not see, or that cannot be replayed, is skipped with a reason. Nothing is deleted: a
letter refused again keeps its row, its replay row names the new letter and its reason.
:func:`unreplayed` / :func:`unreplayed_ids` are "all matching this filter": the letters never replayed yet (one
refused again is represented by the new letter its replay made).
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.store import HubStore
from hub.store import dead_letter_replays as replay_rows
from hub.store import dead_letters as dead_letter_rows
from hub.store.dead_letter_replays import Replay
from hub.store.rows import DeadLetterRow
from protocol import topics

log = logging.getLogger(__name__)

BULK_CAP = 500  # letters per bulk replay: a few seconds of ingest, one answer the page can show
REPLAYED = ("stored", "duplicate", "applied", "nothing")
REFUSED_AGAIN = ("dead", "conflict", "rejected")

# What the bridge rings after a commit (hub/app.py ``_ring_for_kinds``), by uplink kind.
JOBS_FOR_KIND = {"report": ("intake",), "action": ("actions",), "lookup": ("lookup",), "followup": ("followup",),
                 "vote": ("deliberation",), "comment": ("deliberation",), "confirm": ("dispatch",)}


class ReplayRefused(ValueError):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class ReplayResult:
    replay: Replay
    new_letter: DeadLetterRow | None


def letter(store: HubStore, letter_id: int) -> DeadLetterRow | None:
    with store.read() as conn:
        return dead_letter_rows.one(conn, letter_id)


def replays_of(store: HubStore, letter_ids: list[int]) -> dict[int, list[Replay]]:
    with store.read() as conn:
        return replay_rows.of_letters(conn, letter_ids)


def replayable(found: DeadLetterRow) -> bool:
    return found.payload_size <= len(found.payload) and found.topic.startswith("gridline/")


def _action_record_id(found: DeadLetterRow) -> str | None:
    """The stored action a processing-stage dead letter names (its payload is the action record's)."""
    parts = topics.uplink_parts(found.topic)
    if parts is None or parts[1] != "action" or not found.reason.startswith("action_"):
        return None
    try:
        record_id = json.loads(found.payload).get("id")
    except (ValueError, AttributeError):
        return None
    return record_id if isinstance(record_id, str) else None


def replay(store: HubStore, found: DeadLetterRow, *, by_operator: str,
           reapply_action: Callable[[str], str | None] | None = None) -> ReplayResult:
    """``reapply_action``: the action job's ``reapply`` (record id → applied | rejected | dead | None)."""
    if found.payload_size > len(found.payload):
        raise ReplayRefused("truncated", "该消息超过保存上限被截断，无法重放",
                            "the payload was cut to the hub's cap when it was kept: it cannot be replayed")
    if not found.topic.startswith("gridline/"):
        raise ReplayRefused("not_a_message", "这不是收到的消息，无法重放",
                            "this letter is not a message that came off the wire: it cannot be replayed")
    with store.read() as conn:
        watermark = dead_letter_rows.last_id(conn)
    result = ingest_batch([RawMessage(found.topic, found.payload, found.received_at)], store)
    new_letter = None
    if result.dead_letters:
        with store.read() as conn:
            new_letter = dead_letter_rows.newest_on_topic_after(conn, found.topic, watermark)
        outcome = "dead"
        detail = f"{new_letter.reason}: {new_letter.detail}" if new_letter else "refused again"
    elif result.conflicts:
        outcome, detail = "conflict", "another record with this id is stored"
    elif result.stored_records or any(o.chunks or o.photos or o.confirmed for o in result.devices.values()):
        outcome, detail = "stored", ""
    elif result.duplicate_records or any(o.duplicates for o in result.devices.values()):
        outcome, detail = "duplicate", "already stored"
        record_id = _action_record_id(found)
        again = reapply_action(record_id) if record_id and reapply_action else None
        if again == "dead":
            with store.read() as conn:
                new_letter = dead_letter_rows.newest_on_topic_after(conn, found.topic, watermark)
            outcome = "dead"
            detail = f"{new_letter.reason}: {new_letter.detail}" if new_letter else "refused again"
        elif again is not None:
            outcome, detail = again, "the stored action was applied again"
    else:
        outcome, detail = "nothing", "not a message for ingest"
    with store.write() as conn:
        row = replay_rows.insert(conn, dead_letter_id=found.id, at=store.clock(), by_operator=by_operator,
                                 outcome=outcome, detail=detail,
                                 new_dead_letter_id=new_letter.id if new_letter else None)
    return ReplayResult(row, new_letter)


def jobs_to_ring(topic: str) -> tuple[str, ...]:
    """The jobs to wake after a replay stored something on ``topic``."""
    parts = topics.uplink_parts(topic)
    return JOBS_FOR_KIND.get(parts[1], ()) if parts else ()


# -- many at once ---------------------------------------------------------------------------------------------
class TooMany(ReplayRefused):
    def __init__(self, count: int, cap: int = BULK_CAP):
        super().__init__("too_many", f"一次最多重放 {cap} 条，本次 {count} 条：请缩小筛选范围或分批重放",
                         f"at most {cap} dead letters per replay, {count} asked: narrow the filter or replay "
                         "in batches")
        self.count, self.cap = count, cap


@dataclass(frozen=True)
class BulkItem:
    id: int
    outcome: str  # a replay outcome (stored, duplicate, applied, nothing, dead, conflict, rejected) or skipped
    reason: str  # dead: the new letter's reason; conflict / rejected: the outcome; skipped: why; else ""
    detail: str
    new_dead_letter_id: int | None = None


@dataclass
class BulkResult:
    items: list[BulkItem] = field(default_factory=list)
    jobs: set[str] = field(default_factory=set)  # to ring once it is all done

    def count(self, outcomes: Iterable[str]) -> int:
        wanted = set(outcomes)
        return sum(1 for i in self.items if i.outcome in wanted)

    @property
    def outcomes(self) -> dict[str, int]:
        return dict(Counter(i.outcome for i in self.items))

    @property
    def reasons(self) -> dict[str, int]:
        """Why letters were refused again or skipped, with how many each."""
        return dict(Counter(i.reason for i in self.items if i.reason))


def unreplayed(store: HubStore, *, reason: str | None = None, device_id: str | None = None,
               devices_in: sa.Select[str] | None = None) -> tuple[int, int | None]:
    """(how many letters "replay all matching" would take now, the newest one's id)."""
    with store.read() as conn:
        return dead_letter_rows.count_unreplayed(conn, reason=reason, device_id=device_id, devices_in=devices_in)


def unreplayed_ids(store: HubStore, *, reason: str | None = None, device_id: str | None = None,
                   devices_in: sa.Select[str] | None = None, up_to_id: int | None = None,
                   limit: int | None = None) -> list[int]:
    with store.read() as conn:
        return dead_letter_rows.unreplayed_ids(conn, reason=reason, device_id=device_id, devices_in=devices_in,
                                               up_to_id=up_to_id, limit=limit)


def replay_many(store: HubStore, letter_ids: Iterable[int], *, sees_device: Callable[[str | None], bool],
                by_operator: str, reapply_action: Callable[[str], str | None] | None = None,
                cap: int = BULK_CAP) -> BulkResult:
    """Replay each letter, oldest first. ``sees_device``: the operator's scope, asked of every letter (a letter
    out of it is skipped as ``not_found``, as if it did not exist). More than ``cap`` letters: :class:`TooMany`,
    before anything is replayed."""
    ids = sorted(set(letter_ids))
    if len(ids) > cap:
        raise TooMany(len(ids), cap)
    with store.read() as conn:
        found = dead_letter_rows.some(conn, ids)
    visible: dict[str | None, bool] = {}
    done = BulkResult()
    for letter_id in ids:
        row = found.get(letter_id)
        if row is not None and row.device_id not in visible:
            visible[row.device_id] = sees_device(row.device_id)
        if row is None or not visible[row.device_id]:
            done.items.append(BulkItem(letter_id, "skipped", "not_found", "no such dead letter in your scope"))
            continue
        try:
            result = replay(store, row, by_operator=by_operator, reapply_action=reapply_action)
        except ReplayRefused as exc:
            done.items.append(BulkItem(letter_id, "skipped", exc.code, exc.en))
            continue
        except Exception as exc:  # one letter's failure must not cost the others their replay; nothing is deleted
            log.exception("replaying dead letter %s failed", letter_id)
            done.items.append(BulkItem(letter_id, "skipped", "error", f"{type(exc).__name__}: {exc}"[:300]))
            continue
        r = result.replay
        if r.outcome == "dead":
            why = result.new_letter.reason if result.new_letter else "dead"
        else:
            why = r.outcome if r.outcome in REFUSED_AGAIN else ""
        done.items.append(BulkItem(letter_id, r.outcome, why, r.detail, r.new_dead_letter_id))
        if r.outcome == "stored":
            done.jobs.update(jobs_to_ring(row.topic))
        elif r.outcome in ("applied", "rejected"):
            done.jobs.add("dispatch")
    return done
