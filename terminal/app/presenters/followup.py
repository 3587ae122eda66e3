"""回访 at the kiosk: the hub's ``followup`` prompts (one per closed case reported with a card, sent to every kiosk of
the community) wait in the inbox; when the reporter's card is tapped here - for a check-in or a new report - the
kiosk asks "您反映的 FS-20261204-0042 已办结，您满意吗？" with 满意 / 基本满意 / 不满意 and optional words, and the
answer goes to the hub as a ``followup`` record (outboxed like any record: offline too).

A prompt stops being asked when the hub withdraws it (answered elsewhere), when its window is over (``due_at``) or
once this kiosk has recorded an answer for the case. At 查进度 a looked-up reference with a prompt held here may be
answered too (``via="lookup"``). Nothing here holds more than the card's keyed hash.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from protocol import FollowupAnswer, FollowupChoice, FollowupPrompt
from protocol.messages import MAX_NOTE_CHARS
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused
from terminal.clock import Clock, utc_now
from terminal.device import Device

log = logging.getLogger(__name__)

CHOICES = (FollowupChoice.SATISFIED, FollowupChoice.BASICALLY_SATISFIED, FollowupChoice.DISSATISFIED)


@dataclass(frozen=True)
class HeldPrompt:
    message_id: str
    prompt: FollowupPrompt


def held_prompts(device: Device, now_fn: Clock = utc_now) -> dict[str, HeldPrompt]:
    """case id → the prompt this kiosk should still ask (not withdrawn, window open, not answered here)."""
    now = now_fn()
    live: dict[str, HeldPrompt] = {}
    withdrawn: set[str] = set()
    for entry in device.inbox():
        if entry.kind != "followup":
            continue
        try:
            prompt = FollowupPrompt.model_validate(entry.body)
        except ValueError as exc:
            log.warning("inbox %s: unreadable follow-up prompt: %s", entry.id, exc)
            continue
        if prompt.withdrawn:
            withdrawn.add(prompt.case_id)
        elif prompt.due_at > now:
            live[prompt.case_id] = HeldPrompt(entry.id, prompt)
    answered = device.store.followups_answered()
    return {case_id: held for case_id, held in live.items() if case_id not in withdrawn | answered}


@dataclass(frozen=True)
class FollowupView:
    question: str
    case_line: str
    choices: list[tuple[str, str]]  # (value, label)
    words: str
    message: str


class FollowupFlow:
    def __init__(self, device: Device, tr: Translator, *, clock: Clock = utc_now):
        self.device, self.tr, self.clock = device, tr, clock
        self.current: HeldPrompt | None = None
        self.resident_key: str | None = None
        self.via = "prompt"
        self.words = ""
        self.message = ""
        self.last_answer: FollowupAnswer | None = None

    # --- when to ask ----------------------------------------------------------------------------
    def on_card(self, resident_key: str) -> bool:
        """A card was tapped (check-in or report): True when there is a follow-up to ask this resident now."""
        mine = [h for h in held_prompts(self.device, self.clock).values() if h.prompt.resident_key == resident_key]
        if not mine:
            return False
        self._ask(min(mine, key=lambda h: h.prompt.closed_at), resident_key, "prompt")
        return True

    def _held_for(self, reference: str) -> HeldPrompt | None:
        wanted = reference.replace("-", "").upper()
        return next((h for h in held_prompts(self.device, self.clock).values()
                     if h.prompt.reference.replace("-", "").upper() == wanted), None)

    def awaits(self, reference: str) -> bool:
        """At 查进度: whether the looked-up case awaits a follow-up this kiosk can take (it holds its prompt)."""
        return bool(reference) and self._held_for(reference) is not None

    def for_reference(self, reference: str) -> bool:
        """At 查进度: ask the follow-up of the looked-up case (no card: ``via="lookup"``); False when none is held."""
        held = self._held_for(reference)
        if held is None:
            return False
        self._ask(held, None, "lookup")
        return True

    def _ask(self, held: HeldPrompt, resident_key: str | None, via: str) -> None:
        self.current, self.resident_key, self.via, self.words, self.message = held, resident_key, via, "", ""

    # --- the screen ---------------------------------------------------------------------------
    def view(self) -> FollowupView | None:
        if self.current is None:
            return None
        p = self.current.prompt
        category = self.tr.pick(p.category_name, p.category_name_en) or p.category
        return FollowupView(question=self.tr.t("followup.question", ref=p.reference),
                            case_line=self.tr.t("followup.case", category=category, title=p.title)
                            if p.title and p.title != p.category_name else category,
                            choices=[(c.value, self.tr.t(f"followup.choice.{c.value}")) for c in CHOICES],
                            words=self.words, message=self.message)

    def set_words(self, text: str) -> None:
        self.words = text.strip()[:MAX_NOTE_CHARS]

    def answer(self, choice: FollowupChoice | str) -> FollowupAnswer:
        """Record the answer (outboxed); the prompt is not asked here again."""
        if self.current is None:
            raise FlowRefused("followup.title")
        choice = FollowupChoice(choice)
        p = self.current.prompt
        record = self.device.followup(p.case_id, p.reference, choice.value, resident_key=self.resident_key,
                                      words=self.words, via=self.via, prompt_id=self.current.message_id)
        self.device.mark_read(self.current.message_id)
        self.current, self.resident_key, self.words = None, None, ""
        self.last_answer = record
        self.message = self.tr.t("followup.thanks_rework" if choice is FollowupChoice.DISSATISFIED
                                 else "followup.thanks")
        return record

    def later(self) -> None:
        """Not now: asked again on the next tap."""
        self.current, self.resident_key, self.words, self.message = None, None, "", ""
