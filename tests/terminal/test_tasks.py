"""The phone's task list: newest picture per case, offline actions shown at once and sent as records."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from protocol import CaseAction, TaskBody, uuid7

from .helpers import wait_until

CASE = uuid7()


def _task(version: int, **changes) -> dict:
    body = TaskBody(case_id=CASE, case_version=version, case_state="dispatched", role="handler", category="E0101",
                    title="占道经营", actions=["accept", "return"],
                    deadline=datetime.now(UTC) + timedelta(hours=2))
    return body.model_copy(update=changes).model_dump(mode="json", exclude_none=True)


def test_task_received_acted_on_offline_and_sent_as_a_receipted_action(hub, make_device):
    device = make_device()
    hub.send_downlink(device.device_id, "task", _task(3))
    assert wait_until(lambda: len(device.tasks()) == 1)
    [task] = device.tasks()
    assert task.body.title == "占道经营" and task.actions_now == ["accept", "return"]

    action = device.act(task, "accept", lat=30.27, lon=120.15, accuracy_m=5)
    # the list moves on before the hub answers
    [task] = device.tasks()
    assert task.actions_now == ["arrive", "return"]
    assert wait_until(lambda: any(isinstance(m, CaseAction) for m in hub.records.values()))
    [sent] = [m for m in hub.records.values() if isinstance(m, CaseAction)]
    assert sent.id == action.id and sent.case_id == CASE and sent.case_version == 3 and sent.task_id == task.message_id
    assert wait_until(lambda: device.tasks()[0].unsent_actions == 0)  # receipted by the hub


def test_newer_task_message_supersedes_and_withdrawal_removes(hub, make_device):
    device = make_device()
    hub.send_downlink(device.device_id, "task", _task(3))
    hub.send_downlink(device.device_id, "task", _task(5, level="red", why="escalation"))
    assert wait_until(lambda: len(device.inbox()) == 2)
    [task] = device.tasks()
    assert task.body.case_version == 5 and task.body.level == "red"
    hub.send_downlink(device.device_id, "task", _task(6, withdrawn=True, actions=[], why="reassign"))
    assert wait_until(lambda: device.tasks() == [])


def test_unreadable_task_body_is_skipped_not_fatal(hub, make_device):
    device = make_device()
    hub.send_downlink(device.device_id, "task", {"title": "an old hub's shape"})
    hub.send_downlink(device.device_id, "task", _task(2))
    assert wait_until(lambda: len(device.inbox()) == 2)
    assert [t.body.case_version for t in device.tasks()] == [2]


def test_the_hubs_later_picture_does_not_undo_an_action_it_had_not_taken_in(hub, make_device):
    """Accept and arrive made against version 3; the hub's version 4 (accepted, seen the accept only) arrives
    afterwards: the worker must still be offered resolve, not arrive again."""
    device = make_device()
    hub.send_downlink(device.device_id, "task", _task(3))
    assert wait_until(lambda: len(device.tasks()) == 1)
    accept = device.act(device.tasks()[0], "accept")
    device.act(device.tasks()[0], "arrive", lat=30.27, lon=120.15)
    assert device.tasks()[0].actions_now == ["resolve", "return"]
    hub.send_downlink(device.device_id, "task", _task(4, case_state="accepted", actions=["arrive", "return"],
                                                     last_action_seq=accept.seq))
    assert wait_until(lambda: device.tasks()[0].body.case_version == 4)
    assert device.tasks()[0].actions_now == ["resolve", "return"]


def test_a_rework_round_starts_from_the_hubs_picture(hub, make_device):
    device = make_device()
    hub.send_downlink(device.device_id, "task", _task(3))
    assert wait_until(lambda: len(device.tasks()) == 1)
    done = [device.act(device.tasks()[0], a, lat=30.27, lon=120.15) for a in ("accept", "arrive", "resolve")]
    assert device.tasks()[0].actions_now == []
    # verification failed: rework sends the case back to dispatched; the hub has taken in all three actions
    hub.send_downlink(device.device_id, "task", _task(9, why="rework", last_action_seq=done[-1].seq))
    assert wait_until(lambda: device.tasks()[0].body.case_version == 9)
    assert device.tasks()[0].actions_now == ["accept", "return"]
