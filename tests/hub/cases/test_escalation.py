"""Unaccepted tasks are re-sent then escalated; overdue cases climb grid → community → street → district →
city; levels re-colour and reach the devices. Injected clock, no sleeping; SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import time, timedelta

from hub.cases.dispatch import Dispatcher
from hub.cases.escalation import EscalationSweep
from hub.cases.rows import DeviceTransition
from hub.org.calendar import END_OF_DAY, WorkCalendar
from tests.hub.cases.dispatch_fixtures import INSIDE, drain, latest, make_service, report, tick

WINDOW = timedelta(minutes=30)
EVERY = timedelta(hours=4)


def round_the_clock(clock) -> WorkCalendar:
    """Office hours 00:00-24:00 every day: working time is wall-clock time (tests/hub/cases/test_working_time.py
    has the real office hours, nights, weekends and 春节)."""
    return WorkCalendar(periods=[(time(0), END_OF_DAY)], weekdays=range(7), clock=clock)


def setup(store, clock, calendar: WorkCalendar | None = None):
    service = make_service(store, clock, calendar)
    dispatcher = Dispatcher(store, service)
    sweep = EscalationSweep(service, dispatcher, accept_window=WINDOW, overdue_every=EVERY)
    case_id = service.open_case_from_report(report(clock), INSIDE).case.id
    drain(dispatcher)
    assert service.get(case_id).state == "dispatched"
    return service, dispatcher, sweep, case_id


def test_unaccepted_task_is_resent_once_then_escalated_to_the_community(store, clock):
    service, dispatcher, sweep, case_id = setup(store, clock)
    start, version = clock(), service.get(case_id).version
    clock.now = start + WINDOW - timedelta(seconds=1)
    assert sweep.run_once().resent == 0
    clock.now = start + WINDOW
    assert sweep.run_once().resent == 1
    reminder = latest(store, "phone-g1")
    assert (reminder.why, reminder.role.value, reminder.withdrawn) == ("reminder", "handler", False)
    handler = next(d for d in dispatcher.deliveries(case_id) if d.device_id == "phone-g1")
    assert (handler.resend_count, handler.resent_at) == (1, clock())
    clock.now = start + 2 * WINDOW - timedelta(seconds=1)
    result = sweep.run_once()
    assert (result.resent, result.escalated) == (0, [])
    clock.now = start + 2 * WINDOW
    assert sweep.run_once().escalated == [(case_id, "unaccepted", "community")]
    case = service.get(case_id)
    assert (case.state, case.escalation_level, case.escalated_at, case.level) == (
        "dispatched", "community", clock(), "yellow")
    assert case.version == version  # no state change, so clients' expected_version stays valid
    event = service.events(case_id)[-1]
    assert (event.transition, event.from_state, event.to_state, event.actor, event.reason) == (
        "escalate", "dispatched", "dispatched", "system", "unaccepted")
    assert "福石社区" in event.note
    assert service.replay(case_id) == case.machine_state
    drain(dispatcher)
    # the community's people are told; the handler's task shows the new colour
    for device in ("phone-d1", "phone-p1", "kiosk-office"):
        told = latest(store, device)
        assert (told.role.value, told.why, told.case_id) == ("informed", "escalation", case_id), device
    assert latest(store, "phone-s1") is None
    assert latest(store, "kiosk-2") is None  # another grid's kiosk
    assert latest(store, "phone-g1").level == "yellow" and latest(store, "phone-g1").role.value == "handler"
    assert next(d for d in dispatcher.deliveries(case_id) if d.device_id == "phone-g1").escalated_at == clock()
    # once per dispatch: a later sweep does not escalate it again for being unaccepted
    clock.now += WINDOW * 3
    assert sweep.run_once().escalated == []
    # the leader had in fact accepted offline before the escalation: not stale (an escalation is nobody acting)
    outcome = service.apply_device_transitions([DeviceTransition(
        case_id, "accept", "g1", "phone-g1", start + WINDOW + timedelta(minutes=5), "offline-accept-1")])[0]
    assert outcome.applied and service.get(case_id).state == "accepted"


def test_overdue_case_climbs_one_level_per_period_up_to_the_city(store, clock):
    # Periods of EVERY back to back from Monday afternoon run through the night: on a round-the-clock calendar.
    service, dispatcher, sweep, case_id = setup(store, clock, round_the_clock(clock))
    service.transition(case_id, "accept", "g1")
    deadline = service.get(case_id).deadline
    clock.now = deadline - timedelta(minutes=1)
    assert sweep.run_once().escalated == []
    clock.now = deadline + timedelta(minutes=1)
    assert sweep.run_once().escalated == [(case_id, "overdue", "community")]
    assert service.get(case_id).level == "red"  # overdue is red (refresh), whatever the bump gave
    assert sweep.run_once().escalated == []  # not again until the period has passed
    climbed = []
    for _ in range(4):
        clock.now += EVERY
        climbed += [level for _, _, level in sweep.run_once().escalated]
    assert climbed == ["street", "district", "city"]
    drain(dispatcher)
    for device in ("phone-d1", "phone-s1", "phone-z1", "phone-c1"):
        assert latest(store, device).role.value == "informed", device
    assert latest(store, "phone-g2") is None  # another grid's leader is not the hierarchy above this case
    assert [e.reason for e in service.events(case_id) if e.transition == "escalate"] == ["overdue"] * 4
    assert service.replay(case_id) == service.get(case_id).machine_state
    # closing the case withdraws everyone's copy, the escalated levels' included
    tick(clock)
    service.transition(case_id, "arrive", "g1")
    service.transition(case_id, "resolve", "g1", note="已处理", evidence=["ab" * 32], position=(22.25, 113.52, 5.0))
    service.transition(case_id, "verify", "d1")
    service.transition(case_id, "close", "d1")
    drain(dispatcher)
    assert all(latest(store, d).withdrawn for d in ("phone-g1", "phone-c1", "phone-s1", "kiosk-1"))


def test_suspended_case_does_not_escalate(store, clock):
    service, dispatcher, sweep, case_id = setup(store, clock)
    service.transition(case_id, "suspend", "d1", reason="等待产权单位确认")
    clock.now += timedelta(days=3)
    result = sweep.run_once()
    assert (result.resent, result.escalated) == (0, [])
    assert service.get(case_id).escalation_level is None


def test_colour_change_reaches_the_devices(store, clock):
    service, dispatcher, sweep, case_id = setup(store, clock)
    service.transition(case_id, "accept", "g1")
    drain(dispatcher)
    assert latest(store, "kiosk-1").level == "blue"
    clock.now += timedelta(hours=2)  # 09:00 → 11:00: half of the 4 working hours used
    assert sweep.run_once().recoloured == 1
    for device in ("phone-g1", "kiosk-1"):
        assert (latest(store, device).level, latest(store, device).why) == ("yellow", "level"), device
    assert sweep.run_once().recoloured == 0


def test_rework_round_gets_its_own_reminder_before_escalating(store, clock):
    service, dispatcher, sweep, case_id = setup(store, clock)
    for step, actor, extra in (("accept", "g1", {}), ("arrive", "g1", {}),
                               ("resolve", "g1", {"note": "已处理", "evidence": ["ab" * 32],
                                                  "position": (22.25, 113.52, 5.0)}),
                               ("rework", "d1", {"reason": "未清理干净"})):
        tick(clock, 60)
        service.transition(case_id, step, actor, **extra)
    drain(dispatcher)
    reworked = clock()
    clock.now = reworked + WINDOW
    result = sweep.run_once()
    assert (result.resent, result.escalated) == (1, [])  # reminded again, not escalated on the old round
    assert latest(store, "phone-g1").why == "reminder"
    clock.now = reworked + 2 * WINDOW
    assert sweep.run_once().escalated == [(case_id, "unaccepted", "community")]
