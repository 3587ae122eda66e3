"""Phone actions stored by ingest move cases exactly once, in device-time order, as the device's owner;
stale ones are kept as rejected events and answered with the current task; unusable ones are dead-lettered
without holding up the queue. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from hub.cases.actions import ActionApplier
from hub.cases.dispatch import Dispatcher
from hub.mqtt.ingest import ingest_batch
from protocol import CaseAction, PhotoRef, Position, uuid7

from ..conftest import raw
from .dispatch_fixtures import INSIDE, MONDAY_9, drain, latest, make_service, report, tick

SEQ = {}


def action(device: str, case_id: str, kind: str, at, **fields) -> CaseAction:
    SEQ[device] = SEQ.get(device, 0) + 1
    return CaseAction(id=uuid7(int(at.timestamp() * 1000)), device_id=device, seq=SEQ[device], created_at=at,
                      case_id=case_id, action=kind, **fields)


RESOLVE = {"note": "已清理完毕", "position": Position(lat=22.25, lon=113.52, accuracy_m=4),
           "photos": [PhotoRef(sha256="ef" * 32, size=1000, chunks=1)]}


def setup(store, clock):
    service = make_service(store, clock)
    dispatcher = Dispatcher(store, service)
    case_id = service.open_case_from_report(report(clock), INSIDE).case.id
    drain(dispatcher)
    return service, dispatcher, ActionApplier(store, service), case_id


def upload(store, clock, *actions: CaseAction) -> None:
    tick(clock)
    result = ingest_batch([raw(a, clock()) for a in actions], store)
    assert result.stored_records == len(actions)


def test_phone_actions_apply_in_device_time_order_exactly_once(store, clock):
    service, dispatcher, applier, case_id = setup(store, clock)
    t = clock()
    accept = action("phone-g1", case_id, "accept", t + timedelta(minutes=1))
    arrive = action("phone-g1", case_id, "arrive", t + timedelta(minutes=5),
                    position=Position(lat=22.25, lon=113.52, accuracy_m=6))
    resolve = action("phone-g1", case_id, "resolve", t + timedelta(minutes=20), **RESOLVE)
    upload(store, clock, resolve, arrive, accept)  # the offline queue arrives in any order
    assert applier.run_once() == 3
    case = service.get(case_id)
    assert (case.state, case.resolver) == ("resolved", "g1")
    trail = service.events(case_id)[-3:]
    assert [(e.transition, e.actor, e.actor_device, e.origin) for e in trail] == [
        ("accept", "g1", "phone-g1", "device"), ("arrive", "g1", "phone-g1", "device"),
        ("resolve", "g1", "phone-g1", "device")]
    assert [e.at for e in trail] == [accept.created_at, arrive.created_at, resolve.created_at]
    assert trail[-1].evidence == ["ef" * 32] and trail[-1].note == "已清理完毕" and trail[-1].lat == 22.25
    assert applier.outcome(accept.id)["outcome"] == "applied"
    assert service.replay(case_id) == case.machine_state
    # again (restart, or a re-sent copy of the same records): nothing new
    ingest_batch([raw(accept, clock())], store)
    assert ActionApplier(store, service).run_once() == 0 and service.get(case_id).version == case.version
    # the accept is on the phone's delivery record, at device time
    drain(dispatcher)
    handler = next(d for d in dispatcher.deliveries(case_id) if d.device_id == "phone-g1" and d.role == "handler")
    assert handler.accepted_at == accept.created_at
    # the phone's task says which of its own actions the hub has applied (it stops re-showing them as pending)
    assert latest(store, "phone-g1").last_action_seq == max(accept.seq, arrive.seq, resolve.seq)


def test_stale_offline_action_is_rejected_and_answered_with_the_current_task(store, clock):
    service, dispatcher, applier, case_id = setup(store, clock)
    offline_accept = action("phone-g1", case_id, "accept", clock() + timedelta(seconds=30), case_version=3)
    clock.now += timedelta(minutes=2)
    service.transition(case_id, "reassign", "d1", assignee="w1", reason="网格长手机无信号")
    drain(dispatcher)
    version = service.get(case_id).version
    upload(store, clock, offline_accept)  # the phone comes back into coverage
    applier.run_once()
    case = service.get(case_id)
    assert (case.state, case.assignee, case.version) == ("dispatched", "w1", version)
    rejected = service.events(case_id)[-1]
    assert (rejected.transition, rejected.outcome, rejected.actor_device) == ("accept", "rejected", "phone-g1")
    assert "moved on" in rejected.reason
    outcome = applier.outcome(offline_accept.id)
    assert outcome["outcome"] == "rejected" and outcome["case_event_id"] == rejected.id
    drain(dispatcher)
    answer = latest(store, "phone-g1")
    assert (answer.why, answer.withdrawn, answer.case_state) == ("action_rejected", True, "dispatched")
    assert service.replay(case_id) == case.machine_state


def test_action_on_a_task_the_worker_still_holds_but_out_of_turn_gets_the_task_back(store, clock):
    service, dispatcher, applier, case_id = setup(store, clock)
    upload(store, clock, action("phone-g1", case_id, "resolve", clock(), **RESOLVE))  # not accepted yet
    assert applier.run_once() == 1
    assert service.get(case_id).state == "dispatched"
    drain(dispatcher)
    answer = latest(store, "phone-g1")
    assert (answer.why, answer.withdrawn, [a.value for a in answer.actions]) == (
        "action_rejected", False, ["accept", "return"])


def test_unusable_actions_are_dead_lettered_and_do_not_block_the_queue(store, clock):
    service, dispatcher, applier, case_id = setup(store, clock)
    t = clock()
    ownerless = action("tablet-1", case_id, "accept", t)  # a kiosk-like device nobody owns
    stranger = action("phone-zz", case_id, "accept", t + timedelta(seconds=1))  # bound to nobody at all
    lost = action("phone-g1", uuid7(), "accept", t + timedelta(seconds=2))
    good = action("phone-g1", case_id, "accept", t + timedelta(seconds=3))
    upload(store, clock, ownerless, stranger, lost, good)
    assert applier.run_once() == 4
    assert service.get(case_id).state == "accepted"
    assert applier.outcome(ownerless.id)["outcome"] == "dead"
    assert applier.outcome(ownerless.id)["reason"].startswith("action_no_owner")
    assert applier.outcome(stranger.id)["reason"].startswith("action_no_owner")
    assert applier.outcome(lost.id)["reason"].startswith("action_unknown_case")
    assert applier.outcome(good.id)["outcome"] == "applied"
    letters = {d.reason for d in store.list_dead_letters()}
    assert letters == {"action_no_owner", "action_unknown_case"}
    assert store.count_dead_letters(reason="action_no_owner") == 2
    assert applier.run_once() == 0  # recorded: never looked at again


def test_verify_from_a_phone_is_refused_for_the_resolver_and_taken_from_someone_else(store, clock):
    service, dispatcher, applier, case_id = setup(store, clock)
    t = clock()
    upload(store, clock, action("phone-g1", case_id, "accept", t + timedelta(seconds=1)),
           action("phone-g1", case_id, "arrive", t + timedelta(seconds=2)),
           action("phone-g1", case_id, "resolve", t + timedelta(seconds=3), **RESOLVE),
           action("phone-g1", case_id, "verify", t + timedelta(seconds=4)))
    applier.run_once()
    assert service.get(case_id).state == "resolved"
    assert service.events(case_id)[-1].outcome == "rejected"
    upload(store, clock, action("phone-d1", case_id, "verify", t + timedelta(minutes=30)))
    applier.run_once()
    assert service.get(case_id).state == "verified" and service.events(case_id)[-1].actor == "d1"
    assert MONDAY_9 <= service.events(case_id)[-1].at
