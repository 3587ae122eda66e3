"""A database outage is nobody's fault: the case jobs retry the whole pass later instead of counting it against
the event or action they were handling (three strikes would mark a task 'failed' and it would never go out)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.cases.dispatch import MAX_ATTEMPTS, Dispatcher

from ..cases.dispatch_fixtures import INSIDE, drain, latest, make_service, report


def outage() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, ConnectionError("server closed the connection unexpectedly"))


def test_dispatch_survives_an_outage_longer_than_its_retry_budget(store, clock, monkeypatch):
    service = make_service(store, clock)
    dispatcher = Dispatcher(store, service, auto_dispatch=True)
    case_id = service.open_case_from_report(report(clock), INSIDE).case.id
    real_handle = Dispatcher.handle

    def database_away(self, event):
        raise outage()

    monkeypatch.setattr(Dispatcher, "handle", database_away)
    for _ in range(MAX_ATTEMPTS + 2):
        with pytest.raises(sa.exc.OperationalError):
            dispatcher.run_once()
    assert dispatcher.failed == 0

    monkeypatch.setattr(Dispatcher, "handle", real_handle)  # the database is back
    drain(dispatcher)
    assert service.get(case_id).state == "dispatched"
    assert latest(store, "phone-g1") is not None  # the task went out after all


def test_a_real_bug_still_gives_up_after_the_retry_budget(store, clock, monkeypatch):
    service = make_service(store, clock)
    dispatcher = Dispatcher(store, service, auto_dispatch=True)
    service.open_case_from_report(report(clock), INSIDE)
    monkeypatch.setattr(Dispatcher, "handle", lambda self, event: 1 / 0)
    for _ in range(MAX_ATTEMPTS):
        dispatcher.run_once()
    assert dispatcher.failed == MAX_ATTEMPTS
    assert dispatcher.pending_events() == []  # marked failed: it no longer blocks the events behind it


def test_phone_actions_wait_out_an_outage_instead_of_being_dead_lettered(store, clock, monkeypatch):
    from hub.cases.actions import MAX_ATTEMPTS as ACTION_ATTEMPTS
    from hub.cases.actions import ActionApplier

    from ..cases.test_actions import action, setup, upload

    service, _, applier, case_id = setup(store, clock)
    accept = action("phone-g1", case_id, "accept", clock())
    upload(store, clock, accept)
    real_apply = ActionApplier.apply
    monkeypatch.setattr(ActionApplier, "apply", lambda self, record: (_ for _ in ()).throw(outage()))
    for _ in range(ACTION_ATTEMPTS + 2):
        with pytest.raises(sa.exc.OperationalError):
            applier.run_once()
    monkeypatch.setattr(ActionApplier, "apply", real_apply)
    assert applier.run_once() == 1
    assert applier.outcome(accept.id)["outcome"] == "applied"
    assert service.get(case_id).state == "accepted"
