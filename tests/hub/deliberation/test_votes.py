"""议事 at the hub: a topic reaches its kiosks, comments stay private until approved, and a card's vote is counted
once per topic whatever order its votes arrive in (the first by device time wins; a later one that was accepted
first is displaced and its kiosk told), a change only where the topic allows it, nothing after the close."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hub.deliberation import repo
from hub.deliberation.job import DeliberationJob
from hub.deliberation.service import DeliberationError, DeliberationService
from protocol import DeliberationTopic, VoteResult
from tests.hub.conftest import T0
from tests.hub.deliberation.helpers import (
    COMMUNITY,
    KIOSKS,
    answers,
    card,
    comment,
    deliver,
    job,
    last_answer,
    load_sample,
    open_topic,
    vote,
)


@pytest.fixture
def service(store, clock):
    load_sample(store)
    return DeliberationService(store, clock)


def tally(store, topic_id):
    with store.read() as conn:
        return repo.tally(conn, topic_id)


def topics_on(store, kiosk):
    """The topic messages queued for a kiosk, highest version first (what the kiosk keeps)."""
    found = [DeliberationTopic.model_validate(json.loads(r.body)) for r in store.list_downlinks(kiosk)
             if r.kind == "deliberation_topic"]
    return sorted(found, key=lambda t: -t.version)


def test_a_topic_goes_to_every_kiosk_of_its_subtree_and_nowhere_else(store, service):
    topic_id = open_topic(service)
    for kiosk in KIOSKS:
        [body] = topics_on(store, kiosk)
        assert body.topic_id == topic_id and body.version == 1 and [o.key for o in body.vote.options][0] == "agree"
    grid_topic = service.open_topic(scope=COMMUNITY, unit_code=COMMUNITY + "002", title="二网格停车", background="",
                                    images=[], comments_until=T0 + timedelta(days=3), vote=None,
                                    representatives=None, eligible_count=None, by="op")
    assert grid_topic in {t.topic_id for t in topics_on(store, "kiosk-fs-02")}
    assert all(t.topic_id != grid_topic for t in topics_on(store, "kiosk-fs-01"))
    with pytest.raises(LookupError):  # an operator of grid 1 cannot open a topic for the whole community
        service.open_topic(scope=COMMUNITY + "001", unit_code=COMMUNITY, title="x", background="", images=[],
                           comments_until=T0, vote=None, representatives=None, eligible_count=None, by="op")


@pytest.mark.parametrize("later_first", [True, False])
def test_one_card_at_two_kiosks_counts_once_and_the_first_by_device_time_wins(store, clock, service, later_first):
    topic_id = open_topic(service)
    early = vote(topic_id, "kiosk-fs-01", card(1), "agree", T0 + timedelta(hours=1))
    late = vote(topic_id, "kiosk-fs-02", card(1), "disagree", T0 + timedelta(hours=3))
    first, second = (late, early) if later_first else (early, late)
    deliver(store, first)
    job(store, clock).run_once()
    assert last_answer(store, first.id, first.device_id) == "accepted"
    clock.advance(60)
    deliver(store, second)
    job(store, clock).run_once()
    assert tally(store, topic_id) == {"agree": 1}
    assert last_answer(store, early.id, "kiosk-fs-01") == "accepted"
    # the late vote: refused at once when it came second; accepted, then displaced, when it came first
    late_answers = [a.status for a in answers(store, "kiosk-fs-02") if a.vote_id == late.id]
    assert late_answers == (["accepted", "displaced"] if later_first else ["already_voted"])
    deliver(store, early, late)  # resends change nothing
    assert job(store, clock).run_once() == 0 and tally(store, topic_id) == {"agree": 1}


def test_same_device_time_ties_go_to_the_smaller_record_id(store, clock, service):
    topic_id = open_topic(service)
    at = T0 + timedelta(hours=1)
    a = vote(topic_id, "kiosk-fs-01", card(2), "agree", at, record_id="01a20297-4dc0-7000-8000-000000000001")
    b = vote(topic_id, "kiosk-fs-02", card(2), "abstain", at, record_id="01a20297-4dc0-7000-8000-000000000002")
    deliver(store, b)
    job(store, clock).run_once()
    deliver(store, a)
    job(store, clock).run_once()
    assert tally(store, topic_id) == {"agree": 1}


def test_a_change_is_counted_only_where_the_topic_allows_it_and_stays_audited(store, clock, service):
    topic_id = open_topic(service, changes_allowed=True)
    first = vote(topic_id, "kiosk-fs-01", card(3), "agree", T0 + timedelta(hours=1))
    change = vote(topic_id, "kiosk-fs-03", card(3), "disagree", T0 + timedelta(hours=2), seq=2)
    deliver(store, first)
    job(store, clock).run_once()
    deliver(store, change)
    job(store, clock).run_once()
    assert tally(store, topic_id) == {"disagree": 1}
    assert last_answer(store, change.id, "kiosk-fs-03") == "changed"
    with store.read() as conn:
        assert repo.vote_statuses(conn, topic_id) == {"kept": 1, "superseded": 1}


def test_representatives_only_closed_and_unknown_votes_are_refused_and_answered(store, clock, service):
    topic_id = open_topic(service, eligibility="representatives", representatives=[card(10), card(11)],
                          closes_at=T0 + timedelta(days=1))
    ok = vote(topic_id, "kiosk-fs-01", card(10), "agree", T0 + timedelta(hours=1))
    outsider = vote(topic_id, "kiosk-fs-01", card(99), "agree", T0 + timedelta(hours=1), seq=2)
    too_late = vote(topic_id, "kiosk-fs-02", card(11), "agree", T0 + timedelta(days=2))
    bad_option = vote(topic_id, "kiosk-fs-02", card(11), "maybe_not", T0 + timedelta(hours=1), seq=2)
    deliver(store, ok, outsider, too_late, bad_option)
    job(store, clock).run_once()
    assert [last_answer(store, v.id, v.device_id) for v in (ok, outsider, too_late, bad_option)] == [
        "accepted", "not_eligible", "closed", "invalid"]
    result = service.close_vote(topic_id, resolution="公约通过", notice_id="n-1", scope=COMMUNITY, by="op")
    assert (result["voters"], result["eligible"], result["turnout"]) == (1, 2, 0.5)
    for kiosk in KIOSKS:
        [res] = [VoteResult.model_validate(json.loads(r.body)) for r in store.list_downlinks(kiosk)
                 if r.kind == "vote_result"]
        assert res.counts[0].count == 1 and res.resolution == "公约通过" and res.notice_id == "n-1"
        assert topics_on(store, kiosk)[0].vote.closed
    after = vote(topic_id, "kiosk-fs-03", card(11), "agree", T0 + timedelta(hours=2))
    deliver(store, after)
    job(store, clock).run_once()
    assert last_answer(store, after.id, "kiosk-fs-03") == "closed" and tally(store, topic_id) == {"agree": 1}
    with pytest.raises(DeliberationError):
        service.close_vote(topic_id, resolution="", notice_id=None, scope=COMMUNITY, by="op")


def test_a_comment_is_private_until_approved_then_published_with_the_topic(store, clock, service):
    topic_id = open_topic(service)
    said = comment(topic_id, "kiosk-fs-04", card(5), "东门放便袋箱，电话13800000000")
    deliver(store, said)
    job(store, clock).run_once()
    assert all(not t.comments for t in topics_on(store, "kiosk-fs-01"))
    [queued] = service.moderation_queue(COMMUNITY)
    assert queued["id"] == said.id and "resident_key" not in queued
    with pytest.raises(LookupError):  # another grid's operator cannot moderate a community topic
        service.moderate(said.id, approve=True, scope=COMMUNITY + "001", by="op")
    service.moderate(said.id, approve=True, scope=COMMUNITY, by="op")
    newest = topics_on(store, "kiosk-fs-01")[0]
    assert newest.version == 2 and [c.text for c in newest.comments] == [said.text]
    assert card(5) not in json.dumps(newest.model_dump(mode="json"))
    assert service.moderation_queue(COMMUNITY) == []
    late = comment(topic_id, "kiosk-fs-04", card(6), "过期的意见", seq=2)
    late = late.model_copy(update={"created_at": T0 + timedelta(days=31)})  # after the 30-day comment period
    stray = comment(topic_id, "kiosk-bd-09", card(7), "不属于本议题的终端")  # a kiosk the topic does not reach
    deliver(store, late, stray)
    job(store, clock).run_once()
    with store.read() as conn:
        assert [repo.comment(conn, c.id)["state"] for c in (late, stray)] == ["late", "invalid"]
    assert service.moderation_queue(COMMUNITY) == []


def test_a_kiosk_bound_after_the_topic_was_published_gets_it(store, clock):
    """Like notices: a kiosk enrolled or bound under the topic's unit later is handed the open topic by the job's
    catch-up, once; a kiosk bound outside the unit is not."""
    from hub.org.repo import DeviceBinding, save_device_bindings

    load_sample(store)
    service = DeliberationService(store, clock)
    topic_id = open_topic(service)
    with store.write() as conn:
        save_device_bindings(conn, [DeviceBinding("kiosk-fs-new", "kiosk", "440402004005001"),
                                    DeviceBinding("kiosk-street-new", "kiosk", "440402004")])
    taker = DeliberationJob(store, None, clock)
    taker.run_once()
    taker._next_catch_up = 0.0  # the next pass catches up again: nothing more to send
    taker.run_once()

    def topics_for(device: str) -> list[str]:
        return [json.loads(r.body)["topic_id"] for r in store.list_downlinks(device, limit=100)
                if r.kind == "deliberation_topic"]
    assert topics_for("kiosk-fs-new") == [topic_id]
    assert topics_for("kiosk-street-new") == []  # above the community, not under it
    assert topics_for(KIOSKS[0]) == [topic_id]  # the kiosks of the first publication: still once
