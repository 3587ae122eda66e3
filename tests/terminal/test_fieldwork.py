"""The demo's simulated field worker takes a dispatched task through accept → arrive → resolve, via the outbox."""
from __future__ import annotations

import random

from protocol import CaseAction, Position, TaskBody, uuid7
from terminal.fieldwork import FieldWorker

from .helpers import wait_until


def test_worker_steps_through_a_task_after_pauses_and_stops_when_done(hub, make_device):
    device = make_device()
    case_id = uuid7()
    body = TaskBody(case_id=case_id, case_version=2, case_state="dispatched", role="handler", category="E0101",
                    position=Position(lat=22.25, lon=113.52, accuracy_m=5), actions=["accept", "return"])
    hub.send_downlink(device.device_id, "task", body.model_dump(mode="json", exclude_none=True))
    assert wait_until(lambda: len(device.tasks()) == 1)
    worker = FieldWorker(device, random.Random(1))
    t = 1000.0
    for _ in range(3):
        assert worker.step(t) == 0  # sees the next step; a person pauses before acting
        t += 60  # every pause is under a minute
        assert worker.step(t) == 1
    assert worker.done["accept"] == worker.done["arrive"] == worker.done["resolve"] == 1
    assert worker.step(t + 600) == 0  # nothing left to do until the hub sends a new picture
    assert wait_until(lambda: len([m for m in hub.records.values() if isinstance(m, CaseAction)]) == 3)
    sent = sorted((m for m in hub.records.values() if isinstance(m, CaseAction)), key=lambda m: m.seq)
    assert [a.action.value for a in sent] == ["accept", "arrive", "resolve"]
    assert sent[1].position is not None and abs(sent[1].position.lat - 22.25) < 1e-4
    assert len(sent[2].photos) == 1 and sent[2].note
