"""The demo's simulated field worker takes a dispatched task through accept → arrive → resolve, via the outbox."""
from __future__ import annotations

import random

from protocol import CaseAction, Position, TaskBody, uuid7
from terminal.fieldwork import FieldWorker
from tests.terminal.helpers import wait_until


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


def test_a_worker_with_capacity_one_takes_the_next_case_when_done_and_verifies_meanwhile(hub, make_device):
    """One case in hand at a time, as a person: the second dispatched task waits until the first is resolved, a
    verifier task does not wait, and a task withdrawn meanwhile (reassigned to someone else) frees the worker."""
    device = make_device()
    first, second, third, check = uuid7(), uuid7(), uuid7(), uuid7()
    where = Position(lat=22.25, lon=113.52, accuracy_m=5)

    def send(case_id: str, **fields) -> None:
        body = TaskBody(**{"case_id": case_id, "case_version": 2, "case_state": "dispatched", "role": "handler",
                           "category": "E0101", "position": where, "actions": ["accept", "return"]} | fields)
        hub.send_downlink(device.device_id, "task", body.model_dump(mode="json", exclude_none=True))

    send(first, deadline="2030-01-01T00:00:00Z")  # soonest deadline: taken first
    send(second, deadline="2030-01-02T00:00:00Z")
    send(check, case_state="resolved", role="verifier", actions=["verify"])
    assert wait_until(lambda: len(device.tasks()) == 3)
    worker = FieldWorker(device, random.Random(2), capacity=1)
    t = 1000.0
    worker.step(t)
    t += 60
    assert worker.step(t) == 2 and worker.done["accept"] == worker.done["verify"] == 1  # the second waits
    for _ in range(2):  # arrive, resolve
        worker.step(t)
        t += 60
        assert worker.step(t) == 1
    assert worker.done["resolve"] == 1 and worker.done["accept"] == 1
    worker.step(t)
    t += 60
    assert worker.step(t) == 1 and worker.done["accept"] == 2  # now the second case
    assert {(c, r) for c, r in worker.seen} == {(first, "handler"), (second, "handler"), (check, "verifier")}

    send(third)
    assert wait_until(lambda: len(device.tasks()) == 4)
    worker.step(t)  # busy with the second: the third waits
    t += 60
    assert worker.step(t) == 1 and worker.done["accept"] == 2  # (the second's arrive)
    send(second, case_version=5, withdrawn=True)  # reassigned away from this worker
    assert wait_until(lambda: second not in {task.case_id for task in device.tasks()})
    worker.step(t)
    t += 60
    assert worker.step(t) == 1 and worker.done["accept"] == 3  # free again: the third
