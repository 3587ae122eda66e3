"""A phone action stored by ingest but dead-lettered by the action job (``action_no_owner``: the phone was bound to
nobody) is applied after the fix - the phone given to the grid leader - when an admin replays its dead letter
(hub/mqtt/replay.py with ``ActionApplier.reapply``): the case moves as that person, once; a second replay changes
nothing (applied is final), and one still impossible is refused again with a new dead letter. SQLite and
PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from hub.mqtt.replay import replay
from hub.org.repo import DeviceBinding, save_device_bindings
from protocol import uuid7

from .dispatch_fixtures import GRID
from .test_actions import action, setup, upload


def test_a_dead_action_applies_when_replayed_after_the_fix(store, clock):
    service, _dispatcher, applier, case_id = setup(store, clock)
    t = clock()
    ownerless = action("phone-new", case_id, "accept", t + timedelta(minutes=1))
    lost = action("phone-g1", uuid7(), "accept", t + timedelta(minutes=2))
    upload(store, clock, ownerless, lost)
    assert applier.run_once() == 2
    assert applier.outcome(ownerless.id)["outcome"] == "dead"
    letters = {d.reason: d for d in store.list_dead_letters()}
    assert set(letters) == {"action_no_owner", "action_unknown_case"}

    # still unfixed: refused again, with a new dead letter
    again = replay(store, letters["action_no_owner"], by_operator="admin", reapply_action=applier.reapply)
    assert again.replay.outcome == "dead" and again.new_letter is not None
    assert again.new_letter.reason == "action_no_owner" and service.get(case_id).state == "dispatched"

    # the fix: the new phone is the grid leader's; the replay applies the stored action as them, once
    with store.write() as conn:
        save_device_bindings(conn, [DeviceBinding("phone-new", "phone", GRID, "g1")])
    done = replay(store, letters["action_no_owner"], by_operator="admin", reapply_action=applier.reapply)
    assert done.replay.outcome == "applied", done
    case = service.get(case_id)
    assert case.state == "accepted"
    accepted = [e for e in service.events(case_id) if e.transition == "accept"]
    assert [(e.actor, e.actor_device, e.outcome) for e in accepted] == [("g1", "phone-new", "applied")]
    assert applier.outcome(ownerless.id)["outcome"] == "applied"
    twice = replay(store, letters["action_no_owner"], by_operator="admin", reapply_action=applier.reapply)
    assert twice.replay.outcome == "duplicate" and service.get(case_id).state == "accepted"
    assert len([e for e in service.events(case_id) if e.transition == "accept"]) == 1

    # an action on a case that does not exist stays dead
    unknown = replay(store, letters["action_unknown_case"], by_operator="admin", reapply_action=applier.reapply)
    assert unknown.replay.outcome == "dead" and unknown.new_letter.reason == "action_unknown_case"
