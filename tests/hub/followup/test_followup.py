"""回访 at the hub (both backends): a closing opens a follow-up due after the window; the kiosks of the community
get a prompt keyed by the reporter's card; the first answer wins and withdraws the prompts; 不满意 reopens the case
as 返工 with the words on the trail; sampling is reproducible; the KPIs follow their formulas."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hub import sample
from hub.cases import CaseService
from hub.cases import repo as cases_repo
from hub.cases.intake import CaseIntake
from hub.followup.job import FollowupJob
from hub.followup.kpis import followup_kpis
from hub.followup.service import FollowupRefused, FollowupService, sampled
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.taxonomy import install_taxonomy
from protocol import FollowupAnswer, FollowupPrompt, IncidentReport, Position, uuid7

from ..conftest import T0, raw

CARD = "3f" * 32
OTHER_CARD = "4e" * 32
WINDOW = timedelta(hours=48)


def kiosk_report(store, clock, *, card: str | None = CARD, note: str = "井盖松动，张三 13800000000",
                 seq: int = 1) -> IncidentReport:
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    report = IncidentReport(id=uuid7(), device_id="kiosk-fs-01", seq=seq, created_at=clock(), category="C0101",
                            note=note, position=Position(lat=lat, lon=lon, accuracy_m=5), resident_key=card)
    ingest_batch([raw(report, clock())], store)
    return report


def close(service: CaseService, case_id: str) -> None:
    """Walk the case round the loop to 结案 (from wherever intake left it, or from a reopen)."""
    steps = {"reported": ("file", "p-fs-duty-01", {}), "filed": ("dispatch", "p-fs-duty-01", {"assignee": "p-lead-01"}),
             "dispatched": ("accept", "p-lead-01", {}), "accepted": ("arrive", "p-lead-01", {}),
             "arrived": ("resolve", "p-lead-01", {"note": "已处理", "evidence": ["ab" * 32],
                                                  "position": (22.25, 113.52, 5.0)}),
             "resolved": ("verify", "p-fs-super-01", {}), "verified": ("close", "p-fs-duty-01", {})}
    for _ in range(8):
        state = service.get(case_id).state
        if state == "closed":
            return
        transition, actor, extra = steps[state]
        service.transition(case_id, transition, actor, **extra)
    raise AssertionError("did not close")


@pytest.fixture
def world(store, clock):
    install_taxonomy(store)
    load_community(store, sample.load_raw())
    cases = CaseService(store, clock=clock)
    followups = FollowupService(store, cases, window=WINDOW, clock=clock)
    return cases, followups, FollowupJob(followups, None)


def reported_and_closed(store, clock, world, **kw) -> str:
    """A kiosk report taken in as a case and walked round the loop to 结案; the case id."""
    cases, _, _ = world
    report = kiosk_report(store, clock, **kw)
    assert CaseIntake(store, cases).run_once() == 1
    with store.read() as conn:
        case_id = cases_repo.case_id_by_source(conn, report.id)
    assert case_id is not None
    close(cases, case_id)
    return case_id


def prompts(store, device_id: str) -> list[FollowupPrompt]:
    return [FollowupPrompt.model_validate(json.loads(r.body)) for r in store.list_downlinks(device_id)
            if r.kind == "followup"]


def answer(store, clock, device_id: str, case_id: str, reference: str, choice: str, *, card: str | None = CARD,
           words: str = "", via: str = "prompt", seq: int = 1) -> FollowupAnswer:
    record = FollowupAnswer(id=uuid7(), device_id=device_id, seq=seq, created_at=clock(), case_id=case_id,
                            reference=reference, resident_key=card, answer=choice, words=words, via=via)
    ingest_batch([raw(record, clock())], store)
    return record


def test_a_closing_prompts_every_kiosk_of_the_community_by_card_and_no_private_text(store, clock, world):
    cases, followups, job = world
    case_id = reported_and_closed(store, clock, world)
    job.run_once()
    row = followups.current(case_id)
    assert (row.state, row.resident_key, row.round) == ("pending", CARD, 1)
    assert row.due_at == row.closed_at + WINDOW and not row.overdue(clock())
    kiosks = [d.id for d in sample.devices() if d.kind == "kiosk"]
    assert len(kiosks) == 5
    for kiosk in kiosks:
        [prompt] = prompts(store, kiosk)
        assert (prompt.case_id, prompt.resident_key, prompt.withdrawn) == (case_id, CARD, False)
        assert prompt.reference == cases.get(case_id).reference
        body = json.dumps(prompt.model_dump(mode="json"), ensure_ascii=False)
        assert "张三" not in body and "13800000000" not in body and "p-lead" not in body
    job.run_once()
    assert len(prompts(store, kiosks[0])) == 1  # once per follow-up


def test_window_passes_unanswered_counts_overdue_first_in_the_queue(store, clock, world):
    cases, followups, job = world
    first = reported_and_closed(store, clock, world)
    clock.advance(3600)
    second = reported_and_closed(store, clock, world, seq=2)
    job.run_once()
    clock.advance(WINDOW.total_seconds() - 1800)  # the first is past its window, the second not yet
    queue = followups.queue(None)
    assert [r.case_id for r in queue] == [first, second]
    assert queue[0].overdue(clock()) and not queue[1].overdue(clock())
    [total] = followup_kpis(store, T0 - timedelta(days=1), clock() + timedelta(days=1), clock())
    assert (total.due, total.answered, total.overdue, total.followup_rate) == (1, 0, 1, 0.0)


def test_dissatisfied_at_another_kiosk_reopens_as_rework_and_withdraws_the_prompts(store, clock, world):
    cases, followups, job = world
    case_id = reported_and_closed(store, clock, world)
    job.run_once()
    reference = cases.get(case_id).reference
    answer(store, clock, "kiosk-fs-02", case_id, reference, "dissatisfied", words="井盖还是松的，晚上走路会响")
    assert job.run_once() == 1
    case = cases.get(case_id)
    assert (case.state, case.assignee, case.closed_at) == ("dispatched", "p-lead-01", None)
    reopen = [e for e in cases.events(case_id) if e.transition == "reopen"]
    assert len(reopen) == 1 and reopen[0].note == "井盖还是松的，晚上走路会响" and reopen[0].actor == "system"
    assert "回访不满意" in reopen[0].reason
    assert cases.replay(case_id).state == "dispatched"
    row = followups.current(case_id)
    assert (row.state, row.answer, row.channel, row.answered_by) == ("answered", "dissatisfied", "kiosk",
                                                                      "kiosk-fs-02")
    assert sorted(p.withdrawn for p in prompts(store, "kiosk-fs-01")) == [False, True]
    assert [p.withdrawn for p in prompts(store, "kiosk-fs-02")] == [False]  # it answered: it drops its own
    # a second answer from another kiosk is ignored idempotently
    answer(store, clock, "kiosk-fs-03", case_id, reference, "satisfied")
    assert job.run_once() == 0
    assert followups.current(case_id).answer == "dissatisfied"
    # the rework closes again: a new round awaits a new follow-up
    close(cases, case_id)
    job.run_once()
    again = followups.current(case_id)
    assert (again.round, again.state) == (2, "pending")


def test_only_the_reporters_card_at_a_kiosk_of_the_community_answers(store, clock, world):
    cases, followups, job = world
    case_id = reported_and_closed(store, clock, world)
    job.run_once()
    reference = cases.get(case_id).reference
    answer(store, clock, "kiosk-fs-02", case_id, reference, "satisfied", card=OTHER_CARD)
    answer(store, clock, "phone-fs-lead-01", case_id, reference, "satisfied", seq=1)
    assert job.run_once() == 0
    assert followups.current(case_id).state == "pending"
    answer(store, clock, "kiosk-fs-04", case_id, reference, "basically_satisfied", card=None, via="lookup")
    assert job.run_once() == 1
    row = followups.current(case_id)
    assert (row.answer, row.channel) == ("basically_satisfied", "lookup")
    assert cases.get(case_id).state == "closed"


def test_operator_call_answers_or_counts_an_attempt_and_one_answer_per_case(store, clock, world):
    cases, followups, job = world
    case_id = reported_and_closed(store, clock, world, card=None)
    job.run_once()
    assert followups.current(case_id).resident_key is None
    assert all(prompts(store, d.id) == [] for d in sample.devices() if d.kind == "kiosk")
    called = followups.log_call(case_id, "not_reached", person="p-fs-duty-01", operator_id="op-1", note="无人接听")
    assert (called.row.state, called.row.attempts) == ("not_reached", 1)
    done = followups.log_call(case_id, "satisfied", person="p-fs-duty-01", operator_id="op-1", note="很好")
    assert (done.row.state, done.row.answer, done.row.attempts, done.reopened) == ("answered", "satisfied", 2, False)
    with pytest.raises(FollowupRefused) as refused:
        followups.log_call(case_id, "dissatisfied", person="p-fs-duty-01", operator_id="op-1")
    assert refused.value.code == "already_answered"
    with pytest.raises(FollowupRefused):
        followups.log_call(case_id, "angry", person="p-fs-duty-01", operator_id="op-1")


def test_operator_call_dissatisfied_reopens_with_the_operator_on_the_trail(store, clock, world):
    cases, followups, job = world
    case_id = reported_and_closed(store, clock, world)
    job.run_once()
    taken = followups.log_call(case_id, "dissatisfied", person="p-fs-duty-01", operator_id="op-9",
                               note="居民说垃圾还在")
    assert taken.reopened and cases.get(case_id).state == "dispatched"
    [event] = [e for e in cases.events(case_id) if e.transition == "reopen"]
    assert (event.actor, event.operator_id, event.note, event.origin) == ("p-fs-duty-01", "op-9", "居民说垃圾还在",
                                                                          "api")
    assert sorted(p.withdrawn for p in prompts(store, "kiosk-fs-01")) == [False, True]


def test_sampling_is_deterministic_by_case_id_and_near_the_share(store, clock):
    ids = [uuid7() for _ in range(2000)]
    picked = [i for i in ids if sampled(i, 0.3)]
    assert picked == [i for i in ids if sampled(i, 0.3)]
    assert 0.25 < len(picked) / len(ids) < 0.35
    assert all(sampled(i, 1.0) for i in ids[:50]) and not any(sampled(i, 0.0) for i in ids[:50])


def test_a_case_outside_the_share_is_skipped_and_counts_nowhere(store, clock, world):
    cases, _, _ = world
    followups = FollowupService(store, cases, window=WINDOW, clock=clock, share=0.0)
    job = FollowupJob(followups, None)
    case_id = reported_and_closed(store, clock, world)
    job.run_once()
    assert followups.current(case_id).state == "skipped"
    assert followups.queue(None) == []
    assert prompts(store, "kiosk-fs-01") == []
    clock.advance(WINDOW.total_seconds() * 2)
    [total] = followup_kpis(store, T0 - timedelta(days=1), clock(), clock())
    assert (total.due, total.followup_rate, total.satisfaction_rate) == (0, None, None)


def test_kpi_formulas_by_grid_and_category(store, clock, world):
    cases, followups, job = world
    ids = [reported_and_closed(store, clock, world, seq=n) for n in range(1, 5)]
    clock.advance(60)
    job.run_once()
    for case_id, outcome in zip(ids, ["satisfied", "basically_satisfied", "dissatisfied", "not_reached"],
                                strict=True):
        followups.log_call(case_id, outcome, person="p-fs-duty-01", operator_id="op-1")
    [total] = followup_kpis(store, T0 - timedelta(days=1), clock() + timedelta(days=1), clock())
    # due: 3 answered + 1 not reached (windows still open); 回访率 = 3/4; 满意率 = (1 + 1) / 3
    assert (total.due, total.answered, total.not_reached) == (4, 3, 1)
    assert total.followup_rate == 0.75 and total.satisfaction_rate == round(2 / 3, 4)
    [by_grid] = followup_kpis(store, T0 - timedelta(days=1), clock() + timedelta(days=1), clock(), by="grid")
    assert by_grid.key.endswith("001") and by_grid.answered == 3
    [by_category] = followup_kpis(store, T0 - timedelta(days=1), clock() + timedelta(days=1), clock(), by="category")
    assert by_category.key == "C0101"
    [later] = followup_kpis(store, clock() + timedelta(days=1), clock() + timedelta(days=2), clock())
    assert later.due == 0  # a period without closings
