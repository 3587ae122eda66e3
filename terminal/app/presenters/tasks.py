"""The phone's tasks: an inbox the hub's downlink fills, detail, and the worker's actions, all offline-capable.

``on_downlink`` runs on the sync thread: it only notes the arrival and pokes ``on_change`` (the app turns
that into a coalesced Clock refresh); the alert, the banner and the list refresh happen on the UI thread in
:meth:`refresh`. Actions go through ``Device.act``: durable at once, sent when the link allows, and the list
shows the next step immediately.

A task that is new or changed raises the banner and the alert (tone, vibration); one whose only change is a
thumbnail that caught up with it, or a repeat, raises nothing; a withdrawal shows the banner without a sound.
The list: open tasks by urgency (red, yellow, blue) then deadline, then resolved ones, then those withdrawn in
the last day; each with its state chip. Photos: the task's thumbnails, labelled report / before / after, and the
full photo fetched on a tap (:mod:`terminal.app.presenters.task_photos`).
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from protocol import CaseAction, CaseActionKind, DownlinkMessage, TaskBody
from protocol.messages import MAX_NOTE_CHARS
from terminal.app.alerts import Alerter, SilentAlerter
from terminal.app.i18n import Translator
from terminal.app.navigation import Navigator, NoNavigator
from terminal.app.presenters.common import FlowRefused, local_time
from terminal.app.presenters.photo import PhotoTaker
from terminal.app.presenters.task_photos import PhotoView, TaskPhotos
from terminal.app.presenters.taskmap import MapView, geo_uri, how_far, map_view
from terminal.camera import CameraError, ProcessedPhoto
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.photo_fetch import TaskPhotoCache
from terminal.position import Fix
from terminal.tasks import Task, current_tasks

SELECTED_SETTING = "app.selected_case"
BANNER_S = 8.0  # how long the banner stays unless tapped
WITHDRAWN_SHOWN = timedelta(hours=24)  # a withdrawn task stays on the list, greyed, this long
LEVEL_RANK = {"red": 0, "yellow": 1, "blue": 2}
CHIPS = ("new", "accepted", "on_site", "resolved", "withdrawn")
_CHIP_OF_STATE = {"accepted": "accepted", "arrived": "on_site", "resolved": "resolved", "verified": "resolved",
                  "closed": "resolved"}


@dataclass(frozen=True)
class TaskItem:
    message_id: str
    case_id: str
    title: str
    subtitle: str  # category · level · deadline
    level: str
    new: bool  # not opened yet
    unsent: str
    actions: list[CaseActionKind]
    chip: str = "new"  # one of CHIPS
    chip_text: str = ""


@dataclass(frozen=True)
class TaskDetail:
    item: TaskItem
    note: str
    where: str
    photos: str
    role: str
    state: str
    thumbnails: list[PhotoView] = field(default_factory=list)
    map: MapView | None = None
    how_far: str = ""
    nav_uri: str | None = None


@dataclass(frozen=True)
class Banner:
    text: str
    case_id: str
    sound: bool  # whether the alert (tone, vibration) went with it


def _fingerprint(body: TaskBody) -> str:
    """What the worker would notice: everything but the reason it was sent and the thumbnails."""
    return json.dumps(body.model_dump(mode="json", exclude={"why", "thumbnails"}), sort_keys=True)


class TaskFlow:
    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, *, position: Callable[[], Fix | None],
                 alerter: Alerter | None = None, clock: Clock = utc_now, on_change: Callable[[], None] = lambda: None,
                 photo_cache: TaskPhotoCache | None = None, navigator: Navigator | None = None,
                 grid_code: str = "", grid_bbox: tuple[float, float, float, float] | None = None,
                 grid_name: str = "",
                 monotonic: Callable[[], float] = time.monotonic):
        self.device, self.photos, self.tr, self.position = device, photos, tr, position
        self.alerter = alerter or SilentAlerter()
        self.clock, self.on_change, self.monotonic = clock, on_change, monotonic
        self.task_photos = TaskPhotos(photo_cache or TaskPhotoCache(device.data_dir, None, None), tr,
                                      on_change=lambda: self.on_change())
        self.navigator = navigator or NoNavigator()
        self.grid_code, self.grid_bbox, self.grid_name = grid_code, grid_bbox, grid_name
        # The open task survives a restart (battery out in the field): the worker comes back to it.
        self.selected: str | None = device.store.get_setting(SELECTED_SETTING)  # case id
        self.result_photo: ProcessedPhoto | None = None
        self.message = ""
        self.banner: Banner | None = None
        self._banner_at = 0.0
        self._lock = threading.Lock()
        self._arrivals: list[TaskBody] = []
        self._seen = {t.case_id: _fingerprint(t.body) for t in current_tasks(device.store, include_withdrawn=True)}

    # --- downlink (sync thread) ------------------------------------------------------------------
    def on_downlink(self, message: DownlinkMessage) -> None:
        if message.kind != "task":
            return
        try:
            body = TaskBody.model_validate(message.body)
        except ValueError:
            return  # current_tasks skips it too; nothing to alert about
        with self._lock:
            self._arrivals.append(body)
        self.on_change()

    # --- UI thread -------------------------------------------------------------------------------
    def refresh(self) -> list[TaskItem]:
        """The current list; banner and alert once for each task that arrived new or changed since the last one."""
        with self._lock:
            arrived, self._arrivals = self._arrivals, []
        for body in arrived:
            fingerprint = _fingerprint(body)
            if self._seen.get(body.case_id) == fingerprint and body.why != "reminder":
                continue  # a thumbnail caught up, or a repeat: nothing the worker needs to be told (催办 is)
            is_new = body.case_id not in self._seen
            self._seen[body.case_id] = fingerprint
            title = self._title(body)
            if body.withdrawn:
                self._raise_banner(self.tr.t("tasks.banner_withdrawn", title=title), body.case_id, sound=False)
                continue
            self.alerter.alert(self.tr.t("tasks.title"), title)
            key = "tasks.banner_new" if is_new else "tasks.banner_changed"
            self._raise_banner(self.tr.t(key, title=title), body.case_id, sound=True)
        return self.items()

    def _raise_banner(self, text: str, case_id: str, *, sound: bool) -> None:
        self.banner, self._banner_at = Banner(text, case_id, sound), self.monotonic()

    def current_banner(self) -> Banner | None:
        if self.banner is not None and self.monotonic() - self._banner_at > BANNER_S:
            self.banner = None
        return self.banner

    def dismiss_banner(self) -> str | None:
        """The banner tapped: gone; returns the case it was about (the screen opens it)."""
        banner, self.banner = self.banner, None
        return banner.case_id if banner else None

    def _listed(self) -> list[Task]:
        now = self.clock()
        shown = [t for t in current_tasks(self.device.store, include_withdrawn=True)
                 if not t.body.withdrawn or now - datetime.fromisoformat(t.received_at) <= WITHDRAWN_SHOWN]

        def order(task: Task) -> tuple[Any, ...]:
            chip = self._chip(task)
            group = {"withdrawn": 2, "resolved": 1}.get(chip, 0)
            deadline = task.body.deadline
            return (group, LEVEL_RANK.get(task.body.level, 3), deadline is None,
                    deadline.timestamp() if deadline else 0.0, task.message_id)

        return sorted(shown, key=order)

    def items(self) -> list[TaskItem]:
        return [self._item(t) for t in self._listed()]

    def new_count(self) -> int:
        """The badge: tasks waiting to be taken up (chip ``new``)."""
        return sum(1 for t in self._listed() if self._chip(t) == "new")

    def _title(self, body: TaskBody) -> str:
        name = self.tr.pick(body.category_name, body.category_name_en) or body.category
        return body.title or name

    @staticmethod
    def _chip(task: Task) -> str:
        state = task.state_now
        if task.body.withdrawn or state is None:
            return "withdrawn"
        if CaseActionKind.VERIFY in task.actions_now:
            return "new"  # the verifier's task: resolved work waiting for them
        return _CHIP_OF_STATE.get(state, "new")

    def _item(self, task: Task) -> TaskItem:
        b = task.body
        deadline = self.tr.t("tasks.no_deadline") if b.deadline is None else (
            self.tr.t("tasks.overdue") if b.deadline <= self.clock() else self.tr.t("tasks.deadline",
                                                                                    when=local_time(b.deadline)))
        name = self.tr.pick(b.category_name, b.category_name_en) or b.category
        unsent = self.tr.t("tasks.unsent", n=task.unsent_actions) if task.unsent_actions else ""
        subtitle = f"{name} · {self.tr.t('level.' + b.level)} · {deadline}"
        if b.reference:  # what the resident and the control room quote
            subtitle = f"{b.reference} · {subtitle}"
        chip = self._chip(task)
        return TaskItem(task.message_id, b.case_id, self._title(b), subtitle, b.level,
                        not task.read and not b.withdrawn, unsent, [] if b.withdrawn else task.actions_now,
                        chip, self.tr.t(f"chip.{chip}"))

    def _task(self) -> Task:
        for task in self.device.tasks():
            if task.case_id == self.selected:
                return task
        raise FlowRefused("tasks.none_selected")

    def select(self, case_id: str) -> TaskDetail:
        self.selected, self.result_photo, self.message = case_id, None, ""
        self.task_photos.close()
        task = self._task()
        self.device.store.set_setting(SELECTED_SETTING, case_id)
        if not task.read:
            self.device.mark_read(task.message_id)  # the hub learns the worker has seen it
        detail = self.detail()
        if detail is None:  # withdrawn by a downlink since _task() found it
            raise FlowRefused("tasks.none_selected")
        return detail

    def _own_fix(self) -> tuple[float, float, float | None] | None:
        fix = self.position()
        return (fix.lat, fix.lon, fix.accuracy_m) if fix is not None else None

    def detail(self) -> TaskDetail | None:
        if self.selected is None:
            return None
        try:
            task = self._task()
        except FlowRefused:
            return None  # withdrawn meanwhile
        b = task.body
        where = (f"{b.position.lat:.5f}, {b.position.lon:.5f} (±{b.position.accuracy_m:.0f} m)" if b.position
                 else self.tr.t("common.none"))
        if b.grid_code:  # the phone's own grid by its name; another grid (a helper's task) by its code
            own_grid = b.grid_code == self.grid_code and self.grid_name
            where = f"{self.grid_name if own_grid else b.grid_code} · {where}"
        target = (b.position.lat, b.position.lon, b.position.accuracy_m) if b.position else None
        own = self._own_fix()
        photos_line = self.tr.t("tasks.photos", n=len(b.photos)) if b.photos else self.tr.t("tasks.no_photos")
        bbox = self.grid_bbox if self.grid_bbox and (not b.grid_code or b.grid_code == self.grid_code) else None
        return TaskDetail(self._item(task), b.note, where, photos_line,
                          self.tr.t(f"role.{b.role.value}"), self.tr.t(f"state.{b.case_state}"),
                          thumbnails=self.task_photos.views(b), map=map_view(target, own, bbox) if target else None,
                          how_far=how_far(self.tr, own, target),
                          nav_uri=geo_uri(target[0], target[1]) if target else None)

    # --- photos (terminal.app.presenters.task_photos) -------------------------------------------
    @property
    def photo_cache(self) -> TaskPhotoCache:
        return self.task_photos.cache

    @photo_cache.setter
    def photo_cache(self, cache: TaskPhotoCache) -> None:
        self.task_photos.cache = cache

    @property
    def viewing(self) -> str | None:
        return self.task_photos.viewing

    def fetch_photo(self, sha256: str) -> Path | None:
        return self.task_photos.fetch(sha256)

    def open_photo(self, sha256: str) -> Path | None:
        return self.task_photos.open(sha256)

    def viewing_photo(self) -> tuple[Path | None, str]:
        return self.task_photos.viewing_photo()

    def close_photo(self) -> None:
        self.task_photos.close()

    # --- navigation ------------------------------------------------------------------------------
    def navigate(self) -> str:
        """Hand the place to a navigation app; where there is none, the coordinates to type in (also the message)."""
        detail = self.detail()
        if detail is None or detail.nav_uri is None:
            raise FlowRefused("where.no_place")
        b = self._task().body
        assert b.position is not None  # nav_uri is None otherwise
        coords = f"{b.position.lat:.6f}, {b.position.lon:.6f}"
        opened = self.navigator.open(detail.nav_uri)
        self.message = self.tr.t("tasks.nav_opened" if opened else "tasks.nav_manual", coords=coords)
        return self.message

    # --- actions ---------------------------------------------------------------------------------
    def _act(self, action: CaseActionKind, **fields: Any) -> CaseAction:
        task = self._task()
        if action not in task.actions_now:
            raise FlowRefused("tasks.not_allowed")
        record = self.device.act(task, action, **fields)
        self.on_change()
        return record

    def _fix(self) -> Fix:
        fix = self.position()
        if fix is None or fix.accuracy_m is None:
            raise FlowRefused("tasks.need_position")
        return fix

    def accept(self) -> CaseAction:
        record = self._act(CaseActionKind.ACCEPT)
        self.message = self.tr.t("tasks.done_accept")
        return record

    def arrive(self) -> CaseAction:
        fix = self._fix()
        assert fix.accuracy_m is not None  # _fix() refuses a fix without one
        record = self._act(CaseActionKind.ARRIVE, lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m)
        self.message = self.tr.t("tasks.done_arrive", acc=int(round(fix.accuracy_m)))
        return record

    def capture_result(self) -> bool:
        try:
            processed = self.photos.take()
        except CameraError as exc:
            self.result_photo, self.message = None, self.tr.t("report.no_camera", error=exc)
            return False
        if not processed.verdict.ok:
            self.result_photo, self.message = None, self.tr.t(f"quality.{processed.verdict.issue.value}")
            return False
        self.result_photo, self.message = processed, self.tr.t("report.photo_ok")
        return True

    def resolve(self, note: str) -> CaseAction:
        """The hub will not accept a resolution without a photo, a note and a position: check here first."""
        if self.result_photo is None:
            raise FlowRefused("tasks.need_photo")
        if not note.strip():
            raise FlowRefused("tasks.need_note")
        fix = self._fix()
        record = self._act(CaseActionKind.RESOLVE, note=note.strip()[:MAX_NOTE_CHARS], lat=fix.lat, lon=fix.lon,
                           accuracy_m=fix.accuracy_m, photos=[self.result_photo.jpeg])
        self.result_photo, self.message = None, self.tr.t("tasks.done_resolve")
        return record

    def verify(self, note: str = "") -> CaseAction:
        """核查: the verifier was there and the work is done; with the phone's fix when it has one, and the result
        photo if one was taken."""
        fix = self.position()
        fields: dict[str, Any] = {"note": note.strip()[:MAX_NOTE_CHARS]}
        if fix is not None and fix.accuracy_m is not None:
            fields.update(lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m)
        if self.result_photo is not None:
            fields["photos"] = [self.result_photo.jpeg]
        record = self._act(CaseActionKind.VERIFY, **fields)
        self.result_photo, self.message = None, self.tr.t("tasks.done_verify")
        return record

    def return_task(self, reason: str) -> CaseAction:
        if not reason.strip():
            raise FlowRefused("tasks.need_reason")
        record = self._act(CaseActionKind.RETURN, reason=reason.strip()[:MAX_NOTE_CHARS])
        self.message = self.tr.t("tasks.done_return")
        return record

    def action_label(self, action: CaseActionKind | str) -> str:
        return self.tr.t(f"tasks.{CaseActionKind(action).value}")
