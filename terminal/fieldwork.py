"""A simulated field worker behind a phone: takes the tasks the hub dispatches through the real phone path.

For the demo and tests: each task the worker may act on gets its next step (accept → arrive → resolve with a
photo; verify for a verifier task) after a human-ish pause, through ``Device.act`` — the same durable,
offline-capable outbox the phone app uses. Nothing here talks to the hub directly.
"""
from __future__ import annotations

import random
import time

from protocol.messages import CaseActionKind
from terminal.device import Device
from terminal.photos import synthetic_photo
from terminal.tasks import Task

# seconds a person takes before each step (min, max)
PAUSES = {
    CaseActionKind.ACCEPT: (2.0, 6.0),
    CaseActionKind.ARRIVE: (3.0, 10.0),
    CaseActionKind.RESOLVE: (5.0, 15.0),
    CaseActionKind.VERIFY: (3.0, 8.0),
}
NOTES = {CaseActionKind.RESOLVE: "已到现场处置完毕，附处置后照片", CaseActionKind.VERIFY: "现场核查合格"}


class FieldWorker:
    def __init__(self, device: Device, rng: random.Random, *, pace: float = 1.0):
        self.device, self.rng, self.pace = device, rng, pace
        self._due: dict[tuple[str, CaseActionKind], float] = {}
        self.done: dict[CaseActionKind, int] = dict.fromkeys(PAUSES, 0)

    def next_step(self, task: Task) -> CaseActionKind | None:
        for action in (CaseActionKind.VERIFY, CaseActionKind.ACCEPT, CaseActionKind.ARRIVE, CaseActionKind.RESOLVE):
            if action in task.actions_now:
                return action
        return None  # nothing to do, or only "return" — a simulated worker never refuses work

    def step(self, now: float | None = None) -> int:
        """Take every step that is due; returns how many actions were recorded."""
        now = time.monotonic() if now is None else now
        acted = 0
        for task in self.device.tasks():
            action = self.next_step(task)
            if action is None:
                continue
            key = (task.case_id, action)
            due = self._due.setdefault(key, now + self.rng.uniform(*PAUSES[action]) * self.pace)
            if now < due:
                continue
            self._act(task, action)
            del self._due[key]
            self.done[action] += 1
            acted += 1
        return acted

    def _act(self, task: Task, action: CaseActionKind) -> None:
        lat = lon = None
        if task.body.position is not None and action in (CaseActionKind.ARRIVE, CaseActionKind.RESOLVE,
                                                         CaseActionKind.VERIFY):
            # standing a few metres from the reported spot, as a person would
            lat = task.body.position.lat + self.rng.uniform(-3e-5, 3e-5)
            lon = task.body.position.lon + self.rng.uniform(-3e-5, 3e-5)
        photos = [synthetic_photo(self.rng.randrange(1 << 30))] if action is CaseActionKind.RESOLVE else []
        self.device.act(task, action, note=NOTES.get(action, ""), lat=lat, lon=lon,
                        accuracy_m=round(self.rng.uniform(3, 12), 1), photos=photos)
