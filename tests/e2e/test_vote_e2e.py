"""议事 over a real broker: one resident card votes at two kiosks while both are offline (their outboxes hold the
votes for as long as it takes), then the kiosks reconnect, in either order. The hub counts the card once, for the
vote made first (device time), and the other kiosk learns it from its answer downlink: 您已在其他终端投过票 when the
earlier vote was there already, or accepted-then-displaced when the later vote reached the hub first. Driven through
the kiosk presenter the buttons call (TerminalContext)."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from hub import sample
from hub.deliberation import repo
from hub.deliberation.service import DeliberationService
from hub.org.geojson_io import load_community
from protocol import VoteOption, VoteSpec
from terminal.app.config import parse_config
from terminal.app.context import TerminalContext

from .conftest import wait_until

COMMUNITY = "440402004005"
CARD = "440402199001011234"
KEY = "e2e-deployment-key-0001"


def kiosk(tmp_path, device_id: str, broker_url: str, *, connect: bool) -> TerminalContext:
    config = parse_config({"device_id": device_id, "deployment_key": KEY, "broker": broker_url,
                           "data_dir": str(tmp_path / device_id), "language": "zh",
                           "grid": {"code": "", "name": "福石社区"},
                           "position": {"kind": "fixed", "lat": 22.27, "lon": 113.52, "accuracy_m": 5.0},
                           "camera": {"kind": "synthetic"}})
    return TerminalContext(config, "kiosk").start(connect=connect)


def tally(hub, topic_id):
    with hub.store.read() as conn:
        return repo.tally(conn, topic_id)


@pytest.mark.parametrize("first_back", ["earlier", "later"])
def test_one_card_voting_at_two_offline_kiosks_is_counted_once(hub, tmp_path, first_back):
    load_community(hub.store, sample.load_raw())
    service = DeliberationService(hub.store, lambda: datetime.now(UTC), hub.bridge)
    now = datetime.now(UTC)
    vote = VoteSpec(options=[VoteOption(key="agree", label="同意"), VoteOption(key="disagree", label="不同意")],
                    closes_at=now + timedelta(days=7))
    topic_id = service.open_topic(scope=COMMUNITY, unit_code=COMMUNITY, title="文明养犬公约（草案）",
                                  background="请投票", images=[], comments_until=now + timedelta(days=7), vote=vote,
                                  representatives=None, eligible_count=None, by="e2e")
    names = ("kiosk-fs-01", "kiosk-fs-02")
    # online once: the topic arrives and is stored in each kiosk's inbox
    for name in names:
        ctx = kiosk(tmp_path, name, hub.broker_url, connect=True)
        try:
            wait_until(lambda ctx=ctx: ctx.deliberation.topics(), 30, message=f"the topic on {name}")
        finally:
            ctx.stop()

    # both offline: the same card votes at kiosk 1, then (later by device time) at kiosk 2
    votes = {}
    for name, option in zip(names, ("agree", "disagree"), strict=True):
        ctx = kiosk(tmp_path, name, hub.broker_url, connect=False)
        try:
            flow = ctx.deliberation
            [line] = flow.topics()
            flow.open(line.topic_id)
            assert [key for key, _ in flow.view().options] == ["agree", "disagree"]
            assert flow.use_card(CARD)
            votes[name] = flow.vote(option)
            assert ctx.device.status().outbox["vote"]["pending"] == 1  # held in the outbox, nothing sent
        finally:
            ctx.stop()
        time.sleep(0.05)
    earlier, later = votes["kiosk-fs-01"], votes["kiosk-fs-02"]
    assert earlier.created_at < later.created_at and earlier.resident_key == later.resident_key
    time.sleep(1.0)
    assert tally(hub, topic_id) == {}

    order = names if first_back == "earlier" else names[::-1]
    contexts = {}
    try:
        for name in order:  # back online one after the other: the first one's vote is answered before the next
            ctx = contexts[name] = kiosk(tmp_path, name, hub.broker_url, connect=True)
            ctx.deliberation.open(topic_id)
            ctx.deliberation.last_vote = votes[name]
            wait_until(lambda ctx=ctx: ctx.deliberation.answer(), 30, message=f"the answer on {name}")
        winner, loser = contexts["kiosk-fs-01"].deliberation, contexts["kiosk-fs-02"].deliberation
        assert winner.answer() == "accepted"
        if first_back == "earlier":
            assert loser.answer() == "already_voted"
        else:  # it was counted first, then the earlier vote arrived: the kiosk is told
            wait_until(lambda: loser.answer() == "displaced", 30, message="the displaced answer")
        loser.poll()
        print(f"losing kiosk shows: {loser.view().message}")
        assert loser.view().message in ("您已在其他终端投过票", "您已在其他终端更早投过票，以该票为准")
        assert tally(hub, topic_id) == {"agree": 1}
        for ctx in contexts.values():
            assert ctx.device.wait_drained(20)
        with hub.store.read() as conn:
            assert repo.vote_statuses(conn, topic_id) == {
                "kept": 1, ("already_voted" if first_back == "earlier" else "displaced"): 1}
    finally:
        for ctx in contexts.values():
            ctx.stop()
