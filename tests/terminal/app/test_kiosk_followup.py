"""回访 at the kiosk: a report made after a card tap carries the card's keyed hash (one without stays as before);
a held prompt is asked only on the reporter's card, not after it was withdrawn, its window ended or it was answered
here; the answer is a durable followup record; 查进度 can answer a held prompt; the prompt screen renders."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import cv2

from protocol import DownlinkMessage, FollowupAnswer, FollowupPrompt, uuid7
from terminal.residents import resident_key

from .conftest import DEPLOYMENT_KEY
from .test_kiosk_screens import ARTIFACTS, REPO, kivy_env

CARD, OTHER_CARD = "440402199001011234", "440402198002022345"


def prompt_for(ctx, card: str, *, withdrawn: bool = False, case_id: str = "019a9b1e-8f00-7000-8000-000000000042",
               due_in: timedelta = timedelta(hours=40)) -> FollowupPrompt:
    now = ctx.clock()
    prompt = FollowupPrompt(case_id=case_id, reference="FS-20261204-0042",
                            resident_key=resident_key(card, DEPLOYMENT_KEY), category="C0101",
                            category_name="上水井盖", category_name_en="Water supply manhole cover", title="井盖松动",
                            closed_at=now - timedelta(hours=2), due_at=now + due_in, withdrawn=withdrawn)
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(int(now.timestamp() * 1000)),
                                                    device_id=ctx.device.device_id, kind="followup",
                                                    body=prompt.model_dump(mode="json"), created_at=now))
    return prompt


def outbox_followups(ctx) -> list[FollowupAnswer]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'followup'").fetchall()
    return [FollowupAnswer.model_validate_json(p) for (p,) in rows]


def test_a_report_after_a_card_tap_carries_its_key_and_one_without_is_unchanged(make_context):
    ctx = make_context()
    assert ctx.checkin.type_card(CARD)
    ctx.report.use_card(ctx.checkin.resident_key)
    assert ctx.report.capture()
    ctx.report.choose_category("C0101")
    report = ctx.report.submit()
    assert report.resident_key == resident_key(CARD, DEPLOYMENT_KEY) and CARD not in report.model_dump_json()
    assert ctx.report.resident_key is None  # the next resident starts without a card
    assert ctx.report.capture()
    ctx.report.choose_category("C0101")
    plain = ctx.report.submit()
    payload = ctx.device.store.db.execute("SELECT payload FROM records WHERE id = ?", [plain.id]).fetchone()[0]
    assert "resident_key" not in json.loads(payload)


def test_the_prompt_comes_on_the_reporters_card_only_and_the_answer_is_recorded(make_context, clock):
    ctx = make_context()
    prompt = prompt_for(ctx, CARD)
    assert not ctx.followup.on_card(resident_key(OTHER_CARD, DEPLOYMENT_KEY))
    assert ctx.followup.view() is None
    assert ctx.followup.on_card(resident_key(CARD, DEPLOYMENT_KEY))
    view = ctx.followup.view()
    assert view.question == "您反映的 FS-20261204-0042 已办结，您满意吗？"
    assert view.case_line == "上水井盖 · 井盖松动"
    assert [v for v, _ in view.choices] == ["satisfied", "basically_satisfied", "dissatisfied"]
    ctx.followup.set_words("  井盖还是松的  ")
    record = ctx.followup.answer("dissatisfied")
    assert (record.case_id, record.reference, record.answer.value, record.words, record.via) == (
        prompt.case_id, prompt.reference, "dissatisfied", "井盖还是松的", "prompt")
    assert record.resident_key == resident_key(CARD, DEPLOYMENT_KEY) and record.prompt_id is not None
    assert outbox_followups(ctx) == [record]
    assert ctx.device.store.outbox_state(record.id) == "pending"  # durable: sent when the kiosk is online
    assert ctx.followup.message == "已记录，我们会安排重新处理"
    assert not ctx.followup.on_card(resident_key(CARD, DEPLOYMENT_KEY))  # answered here: not asked again


def test_withdrawn_or_expired_prompts_are_not_asked_and_later_asks_again(make_context, clock):
    ctx = make_context()
    key = resident_key(CARD, DEPLOYMENT_KEY)
    prompt_for(ctx, CARD)
    assert ctx.followup.on_card(key)
    ctx.followup.later()
    assert ctx.followup.view() is None and ctx.followup.on_card(key)  # not now: asked on the next tap
    clock.advance(1)
    prompt_for(ctx, CARD, withdrawn=True)  # answered at another kiosk
    assert not ctx.followup.on_card(key)
    prompt_for(ctx, CARD, case_id="019a9b1e-8f00-7000-8000-000000000043", due_in=timedelta(hours=1))
    assert ctx.followup.on_card(key)
    clock.advance(3600)
    assert not ctx.followup.on_card(key)  # the window is over


def test_a_looked_up_reference_with_a_held_prompt_can_be_answered_without_a_card(make_context):
    ctx = make_context()
    prompt_for(ctx, CARD)
    assert not ctx.followup.for_reference("FS-20261204-0043")
    assert ctx.followup.awaits("FS-20261204-0042") and not ctx.followup.awaits("FS-20261204-0043")
    assert ctx.followup.view() is None  # awaits() only looks
    assert ctx.followup.for_reference("fs202612040042")
    record = ctx.followup.answer("satisfied")
    assert (record.via, record.resident_key) == ("lookup", None)
    assert ctx.followup.message == "感谢您的评价！"


def test_the_prompt_screen_renders(tmp_path):
    for language in ("zh", "en"):
        out = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / "kiosk_state_followup.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "tests.terminal.app.followup_shots", language,
                               str(tmp_path / f"data-{language}"), str(out)], cwd=REPO, env=kivy_env(tmp_path),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        image = cv2.imread(str(out))
        assert image is not None and image.shape[:2] == (1080, 1920) and image.std() > 20
        b, g, r = image[340, 1860].astype(int)  # the 不满意 button is red
        assert r > g + 60 and r > b + 60, (b, g, r)
