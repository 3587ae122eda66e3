"""议事 at the kiosk (红福议事馆): the topics the hub sent (``deliberation_topic`` downlinks, the highest version of
each), a resident taps the card (as for check-ins), reads, votes and comments; the hub's answer to each vote
(``vote_answer``) is shown in plain words — 您已在其他终端投过票 when the card's vote made elsewhere is the one
counted — and a closed vote's ``vote_result``.

Votes and comments are records (outboxed, receipted): made offline, they are sent once the kiosk is back. This
presenter holds only the card's keyed hash, never its number. A second vote of the same card at this kiosk is
refused here at once (unless the topic allows changes); across kiosks only the hub can tell.

A topic's images (sha256 only in the topic) are fetched from the hub like a phone's task photos
(:mod:`terminal.photo_fetch`, the kiosk's own credentials) on a worker thread - when the topic arrives and when it is
shown - and kept in the data dir, so an offline kiosk still shows what it fetched before; the first one shows large,
with the count, and a placeholder while it loads or when it cannot be had.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from protocol import DeliberationTopic, DeliberationVote, DownlinkMessage, VoteAnswer, VoteResult
from protocol.deliberation import MAX_COMMENT_CHARS
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused, read_card
from terminal.app.presenters.keypad import press
from terminal.app.presenters.photo import PhotoTaker
from terminal.camera.qr import MAX_CARD_CHARS, plausible_card
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.photo_fetch import BackgroundPhotos, TaskPhotoCache
from terminal.residents import resident_key

log = logging.getLogger(__name__)


def _read(device: Device) -> tuple[dict[str, DeliberationTopic], dict[str, VoteAnswer], dict[str, VoteResult]]:
    """From the inbox: topic id → its highest version; vote id → the latest answer; topic id → its result."""
    topics: dict[str, DeliberationTopic] = {}
    answers: dict[str, VoteAnswer] = {}
    results: dict[str, VoteResult] = {}
    for entry in sorted(device.inbox(), key=lambda e: (e.created_at, e.id)):
        try:
            if entry.kind == "deliberation_topic":
                topic = DeliberationTopic.model_validate(entry.body)
                held = topics.get(topic.topic_id)
                if held is None or topic.version > held.version:
                    topics[topic.topic_id] = topic
            elif entry.kind == "vote_answer":
                answer = VoteAnswer.model_validate(entry.body)
                answers[answer.vote_id] = answer
            elif entry.kind == "vote_result":
                result = VoteResult.model_validate(entry.body)
                results[result.topic_id] = result
        except ValueError as exc:
            log.warning("inbox %s: unreadable %s: %s", entry.id, entry.kind, exc)
    return topics, answers, results


@dataclass(frozen=True)
class TopicLine:
    topic_id: str
    title: str
    status: str


@dataclass(frozen=True)
class TopicView:
    topic_id: str
    title: str
    background: str
    period: str
    vote_line: str  # who votes, until when (empty: no vote)
    options: list[tuple[str, str]]  # (key, label) while the vote is open, else []
    comments_title: str
    comments: list[str]
    result_lines: list[str]
    card_line: str
    message: str
    images_line: str = ""  # "n 张图片" (empty: the topic has none)
    image: Path | None = None  # the first image's file, once it is here
    image_text: str = ""  # instead of the image: loading, or not to be had now


def _day(at: datetime) -> str:
    try:
        return at.astimezone().strftime("%Y-%m-%d %H:%M")
    except (OverflowError, ValueError):  # a date at the edge of the calendar: shown as sent, never a crash
        return at.isoformat(timespec="minutes")


class DeliberationFlow:
    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, *, clock: Clock = utc_now,
                 photo_cache: TaskPhotoCache | None = None, on_change: Callable[[], None] = lambda: None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.device, self.photos, self.tr, self.clock = device, photos, tr, clock
        self.on_change = on_change  # from a fetch's worker thread: the app makes it a @mainthread refresh
        self.images = BackgroundPhotos(photo_cache or TaskPhotoCache(device.data_dir, None, None),
                                       on_change=lambda: self.on_change(), monotonic=monotonic)
        self.topic_id: str | None = None
        self.reset()

    @property
    def photo_cache(self) -> TaskPhotoCache:
        return self.images.cache

    @photo_cache.setter
    def photo_cache(self, cache: TaskPhotoCache) -> None:
        self.images.cache = cache

    def reset(self) -> None:
        """Forget the card and the texts (the idle timer and leaving the screen call this)."""
        self.card_digits = ""
        self.resident_key: str | None = None
        self.comment_text = ""
        self.message = ""
        self.last_vote: DeliberationVote | None = None

    # -- topics --------------------------------------------------------------------------------------------
    def topics(self) -> list[TopicLine]:
        held, _, _ = _read(self.device)
        live = [t for t in held.values() if t.state != "withdrawn"]
        live.sort(key=lambda t: (t.state != "open", -t.published_at.timestamp()))
        return [TopicLine(t.topic_id, t.title, self._status(t)) for t in live]

    def _status(self, topic: DeliberationTopic) -> str:
        if topic.state != "open":
            return self.tr.t("delib.topic_closed")
        return self.tr.t("delib.topic_open", until=_day(topic.comments_until))

    def open(self, topic_id: str) -> None:
        self.topic_id = topic_id
        self.message = ""

    def current(self) -> DeliberationTopic | None:
        held, _, _ = _read(self.device)
        return held.get(self.topic_id) if self.topic_id else None

    # -- the card ------------------------------------------------------------------------------------------
    @property
    def _deployment_key(self) -> str | bytes:
        if not self.device.deployment_key:
            raise FlowRefused("kiosk.checkin_unavailable")
        return self.device.deployment_key

    def scan(self) -> bool:
        key, self.message = read_card(self.photos, self._deployment_key, self.tr, none_key="delib.scan_none",
                                      ok_key="delib.card_ok")
        if key is None:
            return False
        self.resident_key = key
        return True

    def press_card_key(self, key: str) -> None:
        self.card_digits = press(self.card_digits, key, max_len=MAX_CARD_CHARS)

    def use_card(self, number: str | None = None) -> bool:
        """A typed card number (or the digits pressed so far), hashed at once and forgotten."""
        typed, self.card_digits = (number if number is not None else self.card_digits), ""
        if not plausible_card(typed):
            self.message = self.tr.t("delib.card_bad")
            return False
        self.resident_key = resident_key(typed, self._deployment_key)
        self.message = self.tr.t("delib.card_ok")
        return True

    def use_key(self, key: str) -> None:
        """A card already hashed (a card tapped at check-in moments ago)."""
        self.resident_key, self.message = key, self.tr.t("delib.card_ok")

    # -- voting and commenting -----------------------------------------------------------------------------
    def _mine_here(self, topic_id: str) -> list[DeliberationVote]:
        return [v for v in self.device.store.votes_made()
                if v.topic_id == topic_id and v.resident_key == self.resident_key]

    def vote(self, option: str) -> DeliberationVote:
        topic = self.current()
        if topic is None or topic.vote is None:
            raise FlowRefused("delib.answer.invalid")
        if topic.vote.closed or topic.state != "open" or self.clock() > topic.vote.closes_at:
            raise FlowRefused("delib.vote_closed")
        if self.resident_key is None:
            raise FlowRefused("delib.card_needed")
        if option not in {o.key for o in topic.vote.options}:
            raise FlowRefused("delib.option_needed")
        if self._mine_here(topic.topic_id) and not topic.vote.changes_allowed:
            raise FlowRefused("delib.already_here")
        self.last_vote = self.device.vote(topic.topic_id, self.resident_key, option)
        self.message = self.tr.t("delib.vote_saved")
        return self.last_vote

    def set_comment(self, text: str) -> None:
        self.comment_text = text.strip()[:MAX_COMMENT_CHARS]

    def comment(self) -> None:
        topic = self.current()
        if topic is None:
            raise FlowRefused("delib.answer.invalid")
        if topic.state != "open" or self.clock() > topic.comments_until:
            raise FlowRefused("delib.comments_closed")
        if self.resident_key is None:
            raise FlowRefused("delib.card_needed")
        if not self.comment_text:
            raise FlowRefused("delib.comment_empty")
        self.device.comment(topic.topic_id, self.resident_key, self.comment_text)
        self.comment_text = ""
        self.message = self.tr.t("delib.comment_saved")

    def answer(self, vote_id: str | None = None) -> str | None:
        """The hub's latest answer to a vote (the last one made here by default): a VoteAnswer status."""
        vote_id = vote_id or (self.last_vote.id if self.last_vote else None)
        if vote_id is None:
            return None
        _, answers, _ = _read(self.device)
        found = answers.get(vote_id)
        return found.status if found else None

    def on_downlink(self, message: DownlinkMessage) -> None:
        """Sync thread: a topic arrived; its first image is fetched at once (in the background), so the kiosk has
        it before a resident opens the topic, and later offline."""
        if message.kind != "deliberation_topic":
            return
        try:
            topic = DeliberationTopic.model_validate(message.body)
        except ValueError:
            return  # logged when the inbox is read
        if topic.images and topic.state != "withdrawn":
            self.images.want(topic.images[0])

    def image(self, topic: DeliberationTopic) -> tuple[Path | None, str]:
        """(the first image's file, "") or (None, the placeholder); a fetch starts when due (never blocks)."""
        if not topic.images:
            return None, ""
        path, state = self.images.want(topic.images[0])
        if path is not None:
            return path, ""
        return None, self.tr.t("delib.image_loading" if state == "loading" else "delib.image_unavailable")

    def poll(self) -> bool:
        """The screen's tick: True when the hub's answer to the last vote has come (the message shows it). Also
        tries the shown topic's image again when a fetch failed a while ago (its arrival refreshes the screen)."""
        topic = self.current()
        if topic is not None:
            self.image(topic)
        status = self.answer()
        if status is None:
            return False
        text = self.tr.t(f"delib.answer.{status}")
        changed = text != self.message
        self.message = text
        return changed

    # -- what the screen shows -----------------------------------------------------------------------------
    def view(self) -> TopicView | None:
        topic = self.current()
        if topic is None:
            return None
        _, _, results = _read(self.device)
        vote_line, options = "", []
        if topic.vote is not None:
            who = self.tr.t(f"delib.{topic.vote.eligibility}")
            open_ = not topic.vote.closed and topic.state == "open" and self.clock() <= topic.vote.closes_at
            until = (self.tr.t("delib.vote_until", until=_day(topic.vote.closes_at)) if open_
                     else self.tr.t("delib.vote_closed"))
            extra = f" · {self.tr.t('delib.changes_allowed')}" if topic.vote.changes_allowed and open_ else ""
            vote_line = f"{who} · {until}{extra}"
            if open_:
                options = [(o.key, self.tr.pick(o.label, o.label_en)) for o in topic.vote.options]
        result_lines = self._result_lines(topic, results.get(topic.topic_id))
        card = self.tr.t("delib.card_ok") if self.resident_key else self.tr.t("delib.card_hint")
        image, image_text = self.image(topic)
        images_line = self.tr.t("delib.images", n=len(topic.images)) if topic.images else ""
        return TopicView(topic.topic_id, topic.title, topic.background, self._status(topic), vote_line, options,
                         self.tr.t("delib.comments", count=len(topic.comments)),
                         [f"“{c.text}”" for c in topic.comments], result_lines, card, self.message,
                         images_line, image, image_text)

    def _result_lines(self, topic: DeliberationTopic, result: VoteResult | None) -> list[str]:
        if result is None or topic.vote is None:
            return []
        labels = {o.key: self.tr.pick(o.label, o.label_en) for o in topic.vote.options}
        lines = [self.tr.t("delib.result_line", option=labels.get(c.option, c.option), count=c.count)
                 for c in result.counts]
        if result.turnout is not None:
            lines.append(self.tr.t("delib.turnout", voters=result.voters, turnout=f"{result.turnout:.0%}"))
        else:
            lines.append(self.tr.t("delib.voters", voters=result.voters))
        if result.resolution:
            lines.append(result.resolution)
        return lines
