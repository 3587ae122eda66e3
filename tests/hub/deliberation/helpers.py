"""A deliberation topic on the sample community (福石社区, five grids with a kiosk each) and votes as kiosks make
them, for the hub's deliberation tests."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from hub import sample
from hub.deliberation.job import DeliberationJob
from hub.deliberation.service import DeliberationService
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.store import HubStore
from protocol import DeliberationComment, DeliberationVote, VoteAnswer, VoteOption, VoteSpec, uuid7
from tests.hub.conftest import T0, raw

COMMUNITY = "440402004005"
KIOSKS = [f"kiosk-fs-0{i}" for i in range(1, 6)]
OPTIONS = ("agree", "disagree", "abstain")


def load_sample(store: HubStore) -> None:
    load_community(store, sample.load_raw())


def open_topic(service: DeliberationService, *, changes_allowed: bool = False, eligibility: str = "residents",
               representatives: list[str] | None = None, closes_at: datetime | None = None) -> str:
    vote = VoteSpec(options=[VoteOption(key=k, label=k) for k in OPTIONS], eligibility=eligibility,
                    changes_allowed=changes_allowed, closes_at=closes_at or T0 + timedelta(days=30))
    return service.open_topic(scope=COMMUNITY, unit_code=COMMUNITY, title="文明养犬公约（草案）", background="请提意见",
                              images=[], comments_until=T0 + timedelta(days=30), vote=vote,
                              representatives=representatives, eligible_count=None, by="op-test")


def card(n: int) -> str:
    return f"{n:064x}"


def vote(topic_id: str, kiosk: str, resident_key: str, option: str, made_at: datetime, seq: int = 1,
         record_id: str | None = None) -> DeliberationVote:
    return DeliberationVote(id=record_id or uuid7(int(made_at.timestamp() * 1000)), device_id=kiosk, seq=seq,
                            created_at=made_at, topic_id=topic_id, resident_key=resident_key, option=option)


def comment(topic_id: str, kiosk: str, resident_key: str, text: str, seq: int = 1) -> DeliberationComment:
    return DeliberationComment(id=uuid7(), device_id=kiosk, seq=seq, created_at=T0, topic_id=topic_id,
                               resident_key=resident_key, text=text)


def deliver(store: HubStore, *messages) -> None:
    result = ingest_batch([raw(m) for m in messages], store)
    assert result.stored_records + result.duplicate_records == len(messages)


def answers(store: HubStore, device_id: str) -> list[VoteAnswer]:
    """The vote answers queued for one kiosk, oldest first."""
    rows = [r for r in store.list_downlinks(device_id, limit=100_000) if r.kind == "vote_answer"]
    return [VoteAnswer.model_validate(json.loads(r.body)) for r in reversed(rows)]


def last_answer(store: HubStore, vote_id: str, device_id: str) -> str | None:
    found = [a.status for a in answers(store, device_id) if a.vote_id == vote_id]
    return found[-1] if found else None


def job(store: HubStore, clock) -> DeliberationJob:
    return DeliberationJob(store, None, clock)

