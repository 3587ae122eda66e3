"""A simulated field worker behind a phone: takes the tasks the hub dispatches through the real phone path.

For the demo and tests: each task the worker may act on gets its next step (accept → arrive → resolve with a
photo as the handler; verify as the verifier - a grid leader checking a grid worker's work, the community's
supervisor checking a grid leader's) after a human-ish pause, through ``Device.act`` — the same durable,
offline-capable outbox the phone app uses. Nothing here talks to the hub directly.

With ``capacity`` the person works like one: at most that many cases in hand (accepted, not yet resolved) at
once, the next one accepted only when one is done - so a busy grid leader's new tasks wait, and the control room
can see it and reassign them. Verifying is a short check and never waits.
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
IN_HAND = (CaseActionKind.ARRIVE, CaseActionKind.RESOLVE)  # next steps of a case the worker has accepted


class FieldWorker:
    def __init__(self, device: Device, rng: random.Random, *, pace: float = 1.0, capacity: int | None = None):
        if capacity is not None and capacity < 1:
            raise ValueError("capacity must be at least 1 (or None: no limit)")
        self.device, self.rng, self.pace, self.capacity = device, rng, pace, capacity
        self._due: dict[tuple[str, CaseActionKind], float] = {}
        self.done: dict[CaseActionKind, int] = dict.fromkeys(PAUSES, 0)
        self.seen: set[tuple[str, str]] = set()  # (case id, task role) of every task that reached the phone

    def next_step(self, task: Task) -> CaseActionKind | None:
        for action in (CaseActionKind.VERIFY, CaseActionKind.ACCEPT, CaseActionKind.ARRIVE, CaseActionKind.RESOLVE):
            if action in task.actions_now:
                return action
        return None  # nothing to do, or only "return" — a simulated worker never refuses work

    def step(self, now: float | None = None) -> int:
        """Take every step that is due; returns how many actions were recorded."""
        now = time.monotonic() if now is None else now
        steps = []
        for task in self.device.tasks():  # soonest deadline first: the order a person would take them in
            self.seen.add((task.case_id, task.body.role.value))
            action = self.next_step(task)
            if action is not None:
                steps.append((task, action))
        wanted = {(task.case_id, action) for task, action in steps}
        for key in [k for k in self._due if k not in wanted]:  # withdrawn (reassigned, closed) or moved on
            del self._due[key]
        in_hand = sum(1 for _, action in steps if action in IN_HAND) + \
            sum(1 for _, action in self._due if action is CaseActionKind.ACCEPT)
        acted = 0
        for task, action in steps:
            key = (task.case_id, action)
            if key not in self._due:
                if action is CaseActionKind.ACCEPT and self.capacity is not None:
                    if in_hand >= self.capacity:
                        continue  # busy with another case: this one waits for the person (or is reassigned)
                    in_hand += 1
                self._due[key] = now + self.rng.uniform(*PAUSES[action]) * self.pace
            if now < self._due[key]:
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
