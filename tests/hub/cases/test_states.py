"""The pure case state machine: transition table, guards, zh/en refusals; property test without a database."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.cases.states import TRANSITIONS, CaseState, Context, IllegalTransition, allowed, apply, invariant_problems

DISP = Context(actor="d1", role="dispatcher", reason="r")
SUP = Context(actor="s1", role="supervisor", reason="r")
H1 = Context(actor="h1", role="handler", reason="r", note="fixed", evidence=("ab" * 32,), position=(31.2, 121.5, 5))


def to_dispatched():
    case = apply(CaseState(), "file", DISP)
    return apply(case, "dispatch", Context(actor="d1", role="dispatcher", assignee="h1"))


def test_happy_path_closes():
    case = to_dispatched()
    for transition, ctx in (("accept", H1), ("arrive", H1), ("resolve", H1), ("verify", DISP), ("close", DISP)):
        case = apply(case, transition, ctx)
    assert case.state == "closed" and case.resolver == "h1"


def test_closed_is_terminal_with_clear_message():
    case = CaseState(state="closed", assignee="h1", resolver="h1")
    with pytest.raises(IllegalTransition) as err:
        apply(case, "rework", DISP)
    assert err.value.code == "terminal" and "结案" in str(err.value) and "terminal" in str(err.value)


def test_wrong_state_and_role_refused():
    with pytest.raises(IllegalTransition, match="cannot accept a case in state reported") as err:
        apply(CaseState(), "accept", H1)
    assert "不能接单" in str(err.value)
    with pytest.raises(IllegalTransition, match="role 'handler' may not file"):
        apply(CaseState(), "file", H1)


def test_only_assignee_handles():
    other = Context(actor="h2", role="handler")
    with pytest.raises(IllegalTransition) as err:
        apply(to_dispatched(), "accept", other)
    assert err.value.code == "not_assignee"


def test_resolve_needs_evidence_note_position():
    case = apply(apply(to_dispatched(), "accept", H1), "arrive", H1)
    bare = Context(actor="h1", role="handler", note="done")
    with pytest.raises(IllegalTransition, match="evidence photo, position") as err:
        apply(case, "resolve", bare)
    assert "现场照片" in err.value.zh


def test_verifier_must_not_be_resolver():
    # A grid leader who dispatches and also handles: still may not verify own work.
    case = CaseState(state="resolved", assignee="d1", resolver="d1")
    with pytest.raises(IllegalTransition) as err:
        apply(case, "verify", DISP)
    assert err.value.code == "verifier_is_resolver"
    assert apply(case, "verify", SUP).state == "verified"


def test_rework_goes_back_to_same_handler():
    case = CaseState(state="verified", assignee="h1", resolver="h1")
    reworked = apply(case, "rework", SUP)
    assert reworked.state == "dispatched" and reworked.assignee == "h1"


def test_return_clears_assignee_and_needs_reason():
    with pytest.raises(IllegalTransition, match="needs a reason"):
        apply(to_dispatched(), "return", Context(actor="h1", role="handler"))
    case = apply(to_dispatched(), "return", H1)
    assert case.state == "filed" and case.assignee is None


def test_suspend_resume_restores_previous_state():
    case = apply(apply(to_dispatched(), "accept", H1), "suspend", DISP)
    assert case.state == "suspended" and case.suspended_from == "accepted"
    with pytest.raises(IllegalTransition):
        apply(case, "arrive", H1)
    assert apply(case, "resume", DISP) == CaseState("accepted", "h1", None, None)


def test_not_filed_needs_reason_and_is_terminal():
    with pytest.raises(IllegalTransition, match="needs a reason"):
        apply(CaseState(), "not_file", Context(actor="d1", role="dispatcher"))
    case = apply(CaseState(), "not_file", DISP)
    with pytest.raises(IllegalTransition, match="terminal"):
        apply(case, "file", DISP)


ACTORS = [DISP, SUP, H1, Context(actor="h2", role="handler", reason="r", note="n", evidence=("cd" * 32,),
                                 position=(31.2, 121.5, 3))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(TRANSITIONS)), st.integers(0, 3), st.sampled_from(["h1", "h2"])),
                max_size=40))
def test_random_sequences_never_reach_an_illegal_state(steps):
    case = CaseState()
    for transition, who, target in steps:
        ctx = Context(**{**vars(ACTORS[who]), "assignee": target})
        expected_allowed = transition in allowed(case, ctx)
        try:
            new = apply(case, transition, ctx)
        except IllegalTransition:
            continue
        assert expected_allowed, (case, transition, ctx)
        assert not invariant_problems(new), (case, transition, new)
        if new.state == "verified":
            assert ctx.actor != new.resolver
        case = new
