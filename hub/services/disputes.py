"""Disputes (矛盾纠纷) with a seriousness colour and a plan per colour (三色预警 + 预案).

A dispute rides on a service case (any case: a kiosk's 矛盾调解, a visit's mediation need, a call). It records its
parties (resident card keys, or free text kept private), its type and an assessment: the criteria that hold, each
naming a colour (red: risk of violence or a group incident; yellow: repeated or several households; blue: ordinary).
The criteria are data admins edit (``dispute_criteria``); the colour is the highest among those that hold.

Each colour has a plan (``dispute_plans``): who leads (a role, found from the case's grid up the unit chain), who is
informed (roles, found likewise; they get an ``informed`` task through the case's dispatcher - the provider below),
the visit interval, the time limit (working days from the case's filing: it becomes the case's deadline) and the
escalation (the unit level told at once). Grading or re-grading applies the colour's plan: the case is dispatched /
reassigned to the lead (by the person re-grading: a dispatcher or supervisor), its deadline moves, the informed change;
every grading is logged with its reason (``dispute_gradings``) and on the case's trail (a note).

Escalation follows the HIGHER of the two colours - the seriousness and the deadline colour (cases.level: the share of
the time limit used) - :meth:`DisputeService.escalate_by_plan`: the plan of that colour names the level to reach.
Outcome: 调解成功 (settled, with the agreement, private) / 转办 (transferred) / 诉讼 (litigation) / 撤回 (withdrawn);
a settled dispute gets its follow-up visit 30 days later (``followup_due_at``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.cases import repo as case_repo
from hub.cases.recipients import ESCALATION_CHAIN, INFORMED_PROVIDERS, case_chain
from hub.cases.rows import CaseRow
from hub.cases.service import LIVE_STATES, CaseService
from hub.cases.timing import LEVELS, raise_level
from hub.org import repo as org_repo
from hub.services import repo
from hub.services.repo import Criterion, Dispute, Plan
from hub.store import HubStore

DISPUTE_OUTCOMES = ("settled", "transferred", "litigation", "withdrawn")  # 调解成功 / 转办 / 诉讼 / 撤回
DISPUTE_TYPES = ("neighbour", "family", "property", "labour", "land", "other")  # 邻里/婚姻家庭/物业/劳资/土地/其他
FOLLOWUP_AFTER = timedelta(days=30)

DEFAULT_CRITERIA = (
    ("violence", "red", "有暴力倾向或扬言报复", "Risk of violence or threats of revenge"),
    ("group", "red", "可能引发群体性事件或越级上访", "Could lead to a group incident or petitions"),
    ("repeated", "yellow", "反复发生、多次调解未果", "Repeated; earlier mediation failed"),
    ("households", "yellow", "涉及多户居民", "Several households involved"),
    ("vulnerable", "yellow", "涉及老弱病残等困难群体", "Involves elderly, sick or disabled people"),
    ("ordinary", "blue", "一般邻里、家庭纠纷", "Ordinary neighbour or family dispute"),
)
DEFAULT_PLANS = (
    Plan("red", "community_secretary", ["street_staff", "supervisor", "mediator"], 1, 3, "street"),
    Plan("yellow", "committee_member", ["mediator", "grid_leader"], 3, 7, "community"),
    Plan("blue", "grid_worker", ["mediator"], 7, 15, None),
)


class DisputeRefused(ValueError):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class Graded:
    dispute: Dispute
    case: CaseRow
    informed_added: list[str]  # people informed now who were not before


def colour_of(criteria_ids: Sequence[str], criteria: Sequence[Criterion]) -> str:
    """The highest colour among the enabled criteria that hold; blue when none holds."""
    named = {c.id: c for c in criteria if c.enabled}
    return max((named[i].colour for i in criteria_ids if i in named), key=LEVELS.index, default="blue")


def higher(a: str, b: str) -> str:
    return raise_level(a, b)


def plan_informed(conn: sa.Connection, case: CaseRow) -> list[str]:
    """The people a live dispute's plan informs (the case dispatcher's ``informed`` recipients, reason plan)."""
    found = repo.dispute(conn, case.id)
    return list(found.informed) if found is not None and found.outcome is None else []


if plan_informed not in INFORMED_PROVIDERS:
    INFORMED_PROVIDERS.append(plan_informed)


class DisputeService:
    def __init__(self, store: HubStore, cases: CaseService, *, clock: Callable[[], datetime] | None = None):
        self.store, self.cases = store, cases
        self.clock = clock or cases.clock

    # -- criteria and plans (admin data) ----------------------------------------------------------------------------
    def ensure_defaults(self, conn: sa.Connection) -> None:
        if not repo.criteria(conn):
            for position, (cid, colour, zh, en) in enumerate(DEFAULT_CRITERIA):
                repo.save_criterion(conn, {"id": cid, "colour": colour, "label_zh": zh, "label_en": en,
                                           "enabled": True, "position": position})
        have = repo.plans(conn)
        for plan in DEFAULT_PLANS:
            if plan.colour not in have:
                repo.save_plan(conn, plan, self.clock(), "system")

    def criteria(self) -> list[Criterion]:
        with self.store.write() as conn:
            self.ensure_defaults(conn)
            return repo.criteria(conn)

    def plans(self) -> dict[str, Plan]:
        with self.store.write() as conn:
            self.ensure_defaults(conn)
            return repo.plans(conn)

    def save_criterion(self, criterion: Criterion) -> None:
        if criterion.colour not in LEVELS:
            raise DisputeRefused("bad_colour", "颜色须为蓝/黄/红", "colour must be blue, yellow or red")
        with self.store.write() as conn:
            self.ensure_defaults(conn)
            repo.save_criterion(conn, {"id": criterion.id, "colour": criterion.colour, "label_zh": criterion.label_zh,
                                       "label_en": criterion.label_en, "enabled": criterion.enabled,
                                       "position": criterion.position})

    def save_plan(self, plan: Plan, by: str) -> None:
        if plan.colour not in LEVELS or plan.time_limit_days <= 0 or plan.visit_interval_days <= 0:
            raise DisputeRefused("bad_plan", "预案无效：颜色、时限和走访间隔须有效",
                                 "a plan needs a colour and positive time limit and visit interval")
        if plan.escalate_to is not None and plan.escalate_to not in ESCALATION_CHAIN[1:]:
            raise DisputeRefused("bad_plan", "升级层级无效", f"escalate_to must be one of {ESCALATION_CHAIN[1:]}")
        with self.store.write() as conn:
            self.ensure_defaults(conn)
            repo.save_plan(conn, plan, self.clock(), by)

    # -- people of a plan -----------------------------------------------------------------------------------------
    @staticmethod
    def _people(conn: sa.Connection, case: CaseRow, roles: Sequence[str], *, first_only: bool) -> list[str]:
        """Per role, the people of the nearest unit (from the case's grid up) that has someone in it; with
        ``first_only`` just the first of them (the lead)."""
        chain = case_chain(conn, case)
        found: list[str] = []
        for role in roles:
            here = next((people for unit in chain if (people := org_repo.people_at(conn, unit.code, [role]))), [])
            if here and first_only:
                return here[:1]
            found += [p for p in here if p not in found]
        return found

    def _deadline(self, case: CaseRow, days: int) -> datetime | None:
        start = case.filed_at or case.created_at
        return self.cases.calendar.deadline_with_suspensions(start, days=days)

    # -- grading --------------------------------------------------------------------------------------------------
    def grade(self, case_id: str, *, actor: str, reason: str, criteria: Sequence[str] | None = None,
              dispute_type: str | None = None, parties: list[dict[str, str]] | None = None,
              operator_id: str | None = None) -> Graded:
        """Register the dispute on its case (first call) or re-grade it; applies the colour's plan when the colour
        changed (or at registration). ``actor`` is the person grading (their role must allow a reassignment)."""
        if dispute_type is not None and dispute_type not in DISPUTE_TYPES:
            raise DisputeRefused("bad_type", f"未知纠纷类型 {dispute_type}", f"unknown dispute type {dispute_type!r}")
        if not reason.strip():
            raise DisputeRefused("reason_required", "定级须填写理由", "grading needs a reason")
        now = self.clock()
        with self.store.write() as conn:
            self.ensure_defaults(conn)
            case = case_repo.case(conn, case_id)
            if case is None:
                raise DisputeRefused("no_case", "无此案件", "no such case")
            old = repo.dispute(conn, case_id)
            if old is not None and old.outcome is not None:
                raise DisputeRefused("closed", "纠纷已办结，不能再定级", "the dispute has its outcome already")
            if old is None and (dispute_type is None or parties is None or criteria is None):
                raise DisputeRefused("incomplete", "登记纠纷须填写类型、当事人和研判",
                                     "a new dispute needs its type, parties and assessment")
            held = list(criteria) if criteria is not None else (old.criteria if old else [])
            colour = colour_of(held, repo.criteria(conn))
            plan = repo.plans(conn)[colour]
            lead = self._people(conn, case, [plan.lead_role], first_only=True)
            informed = [p for p in self._people(conn, case, plan.informed_roles, first_only=False)
                        if p not in lead]
            values: dict[str, Any] = {
                "criteria": held, "colour": colour, "lead": lead[0] if lead else None, "informed": informed,
                "visit_interval_days": plan.visit_interval_days, "time_limit_days": plan.time_limit_days,
                "escalate_to": plan.escalate_to, "updated_at": now}
            if dispute_type is not None:
                values["dispute_type"] = dispute_type
            if parties is not None:
                values["parties"] = parties
            changed = old is None or old.colour != colour
            if old is None:
                repo.insert_dispute(conn, values | {"case_id": case_id, "outcome": None, "agreement": "",
                                                    "outcome_at": None, "followup_due_at": None,
                                                    "followup_done_at": None, "created_at": now})
            elif changed or criteria is not None or dispute_type is not None or parties is not None:
                repo.update_dispute(conn, case_id, values)
            if changed:
                repo.insert_grading(conn, case_id, old.colour if old else None, colour, reason, actor, now)
                if case.state in LIVE_STATES:
                    case_repo.update_case(conn, case_id, {"deadline": self._deadline(case, plan.time_limit_days)})
        if changed:
            self._apply_lead(case_id, values["lead"], actor, colour, reason, old.colour if old else None,
                             operator_id)
        with self.store.read() as conn:
            dispute = repo.dispute(conn, case_id)
            row = case_repo.case(conn, case_id)
        assert dispute is not None and row is not None
        before = set(old.informed) if old is not None else set()
        return Graded(dispute, row, [p for p in dispute.informed if p not in before])

    def _apply_lead(self, case_id: str, lead: str | None, actor: str, colour: str, reason: str,
                    was: str | None, operator_id: str | None) -> None:
        """The case goes to the plan's lead and its trail says why; the trail entry makes the dispatcher re-send
        the case to everyone it concerns now (the lead's task, the plan's informed)."""
        case = self.cases.get(case_id)
        assert case is not None
        label = f"{was or '—'} → {colour}"
        note = f"纠纷定级 {label}：{reason} / dispute graded {label}: {reason}"
        if lead and case.assignee != lead and case.state in ("dispatched", "accepted", "arrived"):
            self.cases.transition(case_id, "reassign", actor, assignee=lead, reason=note, operator_id=operator_id)
        elif lead and case.state == "filed":
            self.cases.transition(case_id, "dispatch", actor, assignee=lead, note=note, operator_id=operator_id)
        else:
            self.cases.transition(case_id, "note", "system", note=note, origin="system")

    # -- escalation by the higher colour --------------------------------------------------------------------------
    def escalate_by_plan(self) -> list[tuple[str, str]]:
        """Every open dispute reaches at least the level its plan names for the HIGHER of its seriousness and its
        deadline colour; (case id, level reached) for those escalated now."""
        done: list[tuple[str, str]] = []
        now = self.clock()
        with self.store.write() as conn:
            plans = repo.plans(conn)
            for dispute in repo.open_disputes(conn):
                case = case_repo.case(conn, dispute.case_id, lock=True)
                if case is None or case.state not in LIVE_STATES or case.state == "suspended":
                    continue
                effective = higher(dispute.colour, case.level)
                plan = plans.get(effective)
                target = plan.escalate_to if plan else None
                chain = case_chain(conn, case)
                levels = [u.level for u in chain]
                if target is None or target not in levels:
                    continue
                current = levels.index(case.escalation_level) if case.escalation_level in levels else 0
                if levels.index(target) <= current:
                    continue
                unit = chain[levels.index(target)]
                case_repo.escalate_row(conn, case.id, escalation_level=target, at=now, level=case.level)
                case_repo.insert_event(conn, case.id, {
                    "transition": "escalate", "outcome": "applied", "from_state": case.state,
                    "to_state": case.state, "actor": "system", "at": now, "received_at": now, "origin": "system",
                    "reason": "dispute_plan",
                    "note": f"纠纷{effective}级预案：报{unit.name}（{unit.code}）/ dispute plan ({effective}): "
                            f"escalated to the {target} {unit.code}",
                    "client_event_id": f"dispute:{case.id}:{target}"})
                done.append((case.id, target))
        return done

    # -- outcome and follow-up ------------------------------------------------------------------------------------
    def record_outcome(self, case_id: str, outcome: str, *, agreement: str = "", by: str) -> Dispute:
        if outcome not in DISPUTE_OUTCOMES:
            raise DisputeRefused("bad_outcome", f"未知结果 {outcome}", f"unknown outcome {outcome!r}")
        if outcome == "settled" and not agreement.strip():
            raise DisputeRefused("agreement_required", "调解成功须填写调解协议", "a settlement needs its agreement")
        now = self.clock()
        with self.store.write() as conn:
            if repo.dispute(conn, case_id) is None:
                raise DisputeRefused("no_dispute", "无此纠纷", "no such dispute")
            repo.update_dispute(conn, case_id, {
                "outcome": outcome, "agreement": agreement, "outcome_at": now, "updated_at": now,
                "followup_due_at": now + FOLLOWUP_AFTER if outcome == "settled" else None})
            if repo.request(conn, case_id) is not None:
                repo.set_outcome(conn, case_id, outcome, now, by)
            found = repo.dispute(conn, case_id)
        assert found is not None
        return found

    def followup_done(self, case_id: str) -> Dispute:
        now = self.clock()
        with self.store.write() as conn:
            found = repo.dispute(conn, case_id)
            if found is None or found.followup_due_at is None:
                raise DisputeRefused("no_followup", "该纠纷无回访安排", "no follow-up visit is scheduled")
            repo.update_dispute(conn, case_id, {"followup_done_at": now, "updated_at": now})
            found = repo.dispute(conn, case_id)
        assert found is not None
        return found

    def gradings(self, case_id: str) -> list[repo.Grading]:
        with self.store.read() as conn:
            return repo.gradings(conn, case_id)
