"""The phone's tasks: an inbox the hub's downlink fills, detail, and the worker's actions, all offline-capable.

``on_downlink`` runs on the sync thread: it only notes the arrival and pokes ``on_change`` (the app turns
that into a coalesced Clock refresh); the alert and the list refresh happen on the UI thread in
:meth:`refresh`. Actions go through ``Device.act``: durable at once, sent when the link allows, and the list
shows the next step immediately.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from protocol import CaseAction, CaseActionKind, DownlinkMessage, TaskBody
from protocol.messages import MAX_NOTE_CHARS
from terminal.app.alerts import Alerter, SilentAlerter
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused, local_time
from terminal.app.presenters.photo import PhotoTaker
from terminal.camera import CameraError, ProcessedPhoto
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.position import Fix
from terminal.tasks import Task

SELECTED_SETTING = "app.selected_case"


@dataclass(frozen=True)
class TaskItem:
    message_id: str
    case_id: str
    title: str
    subtitle: str  # category · level · deadline
    level: str
    new: bool
    unsent: str
    actions: list[CaseActionKind]


@dataclass(frozen=True)
class TaskDetail:
    item: TaskItem
    note: str
    where: str
    photos: str
    role: str
    state: str


class TaskFlow:
    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, *, position: Callable[[], Fix | None],
                 alerter: Alerter | None = None, clock: Clock = utc_now, on_change: Callable[[], None] = lambda: None):
        self.device, self.photos, self.tr, self.position = device, photos, tr, position
        self.alerter = alerter or SilentAlerter()
        self.clock, self.on_change = clock, on_change
        # The open task survives a restart (battery out in the field): the worker comes back to it.
        self.selected: str | None = device.store.get_setting(SELECTED_SETTING)  # case id
        self.result_photo: ProcessedPhoto | None = None
        self.message = ""
        self._lock = threading.Lock()
        self._arrivals: list[TaskBody] = []

    # --- downlink (sync thread) ------------------------------------------------------------------
    def on_downlink(self, message: DownlinkMessage) -> None:
        if message.kind != "task":
            return
        try:
            body = TaskBody.model_validate(message.body)
        except ValueError:
            return  # current_tasks skips it too; nothing to alert about
        if not body.withdrawn:
            with self._lock:
                self._arrivals.append(body)
        self.on_change()

    # --- UI thread -------------------------------------------------------------------------------
    def refresh(self) -> list[TaskItem]:
        """The current list; alerts once for each task that arrived since the last refresh."""
        with self._lock:
            arrived, self._arrivals = self._arrivals, []
        for body in arrived:
            self.alerter.alert(self.tr.t("tasks.title"), self._title(body))
        return self.items()

    def items(self) -> list[TaskItem]:
        return [self._item(t) for t in self.device.tasks()]

    def _title(self, body: TaskBody) -> str:
        name = self.tr.pick(body.category_name, body.category_name_en) or body.category
        return body.title or name

    def _item(self, task: Task) -> TaskItem:
        b = task.body
        deadline = self.tr.t("tasks.no_deadline") if b.deadline is None else (
            self.tr.t("tasks.overdue") if b.deadline <= self.clock() else self.tr.t("tasks.deadline",
                                                                                    when=local_time(b.deadline)))
        name = self.tr.pick(b.category_name, b.category_name_en) or b.category
        unsent = self.tr.t("tasks.unsent", n=task.unsent_actions) if task.unsent_actions else ""
        subtitle = f"{name} · {self.tr.t('level.' + b.level)} · {deadline}"
        return TaskItem(task.message_id, b.case_id, self._title(b), subtitle,
                        b.level, not task.read, unsent, task.actions_now)

    def _task(self) -> Task:
        for task in self.device.tasks():
            if task.case_id == self.selected:
                return task
        raise FlowRefused("tasks.none_selected")

    def select(self, case_id: str) -> TaskDetail:
        self.selected, self.result_photo, self.message = case_id, None, ""
        task = self._task()
        self.device.store.set_setting(SELECTED_SETTING, case_id)
        if not task.read:
            self.device.mark_read(task.message_id)  # the hub learns the worker has seen it
        detail = self.detail()
        if detail is None:  # withdrawn by a downlink since _task() found it
            raise FlowRefused("tasks.none_selected")
        return detail

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
        if b.grid_code:
            where = f"{b.grid_code} · {where}"
        return TaskDetail(self._item(task), b.note, where, self.tr.t("tasks.photos", n=len(b.photos)),
                          self.tr.t(f"role.{b.role.value}"), self.tr.t(f"state.{b.case_state}"))

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

    def return_task(self, reason: str) -> CaseAction:
        if not reason.strip():
            raise FlowRefused("tasks.need_reason")
        record = self._act(CaseActionKind.RETURN, reason=reason.strip()[:MAX_NOTE_CHARS])
        self.message = self.tr.t("tasks.done_return")
        return record

    def action_label(self, action: CaseActionKind | str) -> str:
        return self.tr.t(f"tasks.{CaseActionKind(action).value}")


