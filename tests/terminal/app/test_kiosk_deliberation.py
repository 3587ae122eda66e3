"""议事 at the kiosk: the highest version of each topic shows; a vote needs a card (its keyed hash is all that is
stored), is an outboxed record made offline too, and is refused at once when the same card voted here already;
the hub's answers read in plain words (您已在其他终端投过票); a closed vote shows its result and no buttons; a
comment needs a card and text; the screen renders with its vote buttons (zh and en)."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import cv2
import pytest

from protocol import (
    DeliberationTopic,
    DownlinkMessage,
    OptionCount,
    PublicComment,
    VoteAnswer,
    VoteOption,
    VoteResult,
    VoteSpec,
    uuid7,
)
from terminal.app.presenters.common import FlowRefused
from terminal.residents import resident_key

from .conftest import DEPLOYMENT_KEY
from .test_kiosk_screens import ARTIFACTS, REPO, kivy_env

CARD = "440402199001011234"
TOPIC = "01a20297-4dc0-7000-8000-0000000000d1"


def deliver(ctx, kind: str, body) -> None:
    now = ctx.clock()
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(int(now.timestamp() * 1000)),
                                                    device_id=ctx.device.device_id, kind=kind,
                                                    body=body.model_dump(mode="json"), created_at=now))
    ctx.clock.advance(1)


def topic(ctx, *, version: int = 1, closed: bool = False, changes: bool = False, comments=()) -> DeliberationTopic:
    now = ctx.clock()
    body = DeliberationTopic(
        topic_id=TOPIC, version=version, state="closed" if closed else "open", title=f"文明养犬公约 v{version}",
        comments_until=now + timedelta(days=5), published_at=now, comments=list(comments),
        vote=VoteSpec(options=[VoteOption(key="agree", label="同意", label_en="For"),
                               VoteOption(key="disagree", label="不同意", label_en="Against")],
                      changes_allowed=changes, closes_at=now + timedelta(days=5), closed=closed))
    deliver(ctx, "deliberation_topic", body)
    return body


def test_a_vote_needs_a_card_is_outboxed_and_a_second_one_here_is_refused(make_context):
    ctx = make_context()
    flow = ctx.deliberation
    topic(ctx, version=1)
    topic(ctx, version=3, comments=[PublicComment(id=str(uuid7()), text="东门放便袋箱", made_at=ctx.clock())])
    topic(ctx, version=2)  # an older version arriving late does not win
    [line] = flow.topics()
    flow.open(line.topic_id)
    view = flow.view()
    assert view.title == "文明养犬公约 v3" and view.comments == ["“东门放便袋箱”"]
    assert view.options == [("agree", "同意"), ("disagree", "不同意")]
    with pytest.raises(FlowRefused, match="delib.card_needed"):
        flow.vote("agree")
    assert not flow.use_card("12-34!")  # not a card number
    assert flow.use_card(CARD)
    made = flow.vote("agree")
    assert made.resident_key == resident_key(CARD, DEPLOYMENT_KEY) and CARD not in made.model_dump_json()
    assert ctx.device.store.outbox_state(made.id) == "pending"  # offline: held until the hub receipts it
    with pytest.raises(FlowRefused, match="delib.already_here"):
        flow.vote("disagree")
    with pytest.raises(FlowRefused, match="delib.option_needed"):
        flow.vote("maybe")


def test_the_hubs_answers_read_in_plain_words(make_context):
    ctx = make_context()
    flow = ctx.deliberation
    topic(ctx)
    flow.open(TOPIC)
    flow.use_card(CARD)
    made = flow.vote("agree")
    assert not flow.poll()
    deliver(ctx, "vote_answer", VoteAnswer(vote_id=made.id, topic_id=TOPIC, status="already_voted",
                                           answered_at=ctx.clock()))
    assert flow.poll() and flow.view().message == "您已在其他终端投过票"
    deliver(ctx, "vote_answer", VoteAnswer(vote_id=made.id, topic_id=TOPIC, status="accepted", answered_at=ctx.clock()))
    assert flow.poll() and flow.answer() == "accepted"
    ctx.tr.set_language("en")
    flow.poll()
    assert flow.view().message == "Your vote is counted"


def test_a_closed_vote_shows_its_result_and_no_buttons(make_context):
    ctx = make_context()
    flow = ctx.deliberation
    topic(ctx, version=2, closed=True)
    deliver(ctx, "vote_result", VoteResult(topic_id=TOPIC, counts=[OptionCount(option="agree", count=21),
                                                                   OptionCount(option="disagree", count=0)],
                                           voters=21, eligible=21, turnout=1.0, resolution="公约通过",
                                           closed_at=ctx.clock()))
    flow.open(TOPIC)
    view = flow.view()
    assert view.options == [] and "投票已结束" in view.vote_line
    assert view.result_lines == ["同意：21 票", "不同意：0 票", "参与 21 人，参与率 100%", "公约通过"]
    flow.use_card(CARD)
    with pytest.raises(FlowRefused, match="delib.vote_closed"):
        flow.vote("agree")


def test_a_comment_needs_a_card_and_words(make_context):
    ctx = make_context()
    flow = ctx.deliberation
    topic(ctx)
    flow.open(TOPIC)
    flow.set_comment("夜间遛狗请拴绳")
    with pytest.raises(FlowRefused, match="delib.card_needed"):
        flow.comment()
    flow.use_card(CARD)
    flow.set_comment("   ")
    with pytest.raises(FlowRefused, match="delib.comment_empty"):
        flow.comment()
    flow.set_comment("夜间遛狗请拴绳")
    flow.comment()
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'comment'").fetchall()
    assert len(rows) == 1 and "夜间遛狗请拴绳" in rows[0][0] and CARD not in rows[0][0]
    flow.reset()
    assert flow.resident_key is None  # the next resident starts without this one's card
    flow.use_card(CARD)
    flow.set_comment("过了征集期")
    ctx.clock.advance(6 * 86400)
    with pytest.raises(FlowRefused, match="delib.comments_closed"):
        flow.comment()


def test_the_screen_renders_with_its_vote_buttons(tmp_path):
    for language in ("zh", "en"):
        out = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / "kiosk_state_deliberation.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "tests.terminal.app.deliberation_shots", language,
                               str(tmp_path / f"data-{language}"), str(out)], cwd=REPO, env=kivy_env(tmp_path),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        image = cv2.imread(str(out))
        assert image is not None and image.shape[:2] == (1080, 1920) and image.std() > 20
        b, g, r = image[430, 700].astype(int)  # the first vote button is red
        assert r > g + 60 and r > b + 60, (b, g, r)
