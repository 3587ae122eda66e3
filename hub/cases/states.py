"""The case state machine (no I/O): the closed loop of GB/T 30428 / CJ/T 315 digital city management.

    reported 上报 ─file 立案→ filed ─dispatch 派遣→ dispatched ─accept 接单→ accepted ─arrive 到场→ arrived
        └─not_file 不予立案→ not_filed (terminal)                      ─resolve 反馈→ resolved
    resolved ─verify 核查→ verified ─close 结案→ closed (terminal)
    resolved | verified ─rework 返工→ dispatched (same handler, who must accept again)
    dispatched | accepted | arrived ─return 退回→ filed (assignee cleared, dispatcher re-dispatches)
                                    ─reassign 改派→ dispatched (new assignee)
    any open state ─suspend 挂起→ suspended ─resume 恢复→ the state it was suspended from
    dispatched ─auto_resolve 系统反馈→ resolved (system only, on its own evidence); note 备注 changes no state

    closed ─reopen 回访不满意返工→ dispatched (the last handler, who must accept again; 回访, hub/followup/)

Rework is the only way back from the verification step; a closed case reopens only through ``reopen``, when the
resident's follow-up (回访) says 不满意; not_filed never reopens.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

TERMINAL = frozenset({"closed", "not_filed"})
OPEN = frozenset({"reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified"})
ASSIGNED = frozenset({"dispatched", "accepted", "arrived", "resolved", "verified"})

# Who may do what. Field staff handle; the command centre (指挥中心) files, dispatches, verifies, closes.
# A grid leader (网格长) does both in small communities - hence the verifier ≠ resolver guard.
DISPATCH_ROLES = frozenset({"dispatcher", "supervisor", "grid_leader"})
# A patrol volunteer (红袖标志愿者) can be the paired helper of a welfare watch (1+1+N) and so takes tasks too.
FIELD_ROLES = frozenset({"handler", "grid_worker", "grid_leader", "patrol_volunteer"})
# Community services (issue 18, hub/services): the legal adviser (法律顾问), the mediator (调委会) and the property
# contact take service cases; a committee member or the community secretary leads a yellow / red dispute.
SERVICE_FIELD_ROLES = frozenset({"legal_adviser", "mediator", "property_contact", "committee_member",
                                 "community_secretary"})
FIELD_ROLES = FIELD_ROLES | SERVICE_FIELD_ROLES
SYSTEM_ROLE = "system"
# The hub files and dispatches by rule (自动立案/自动派遣), e.g. a missed welfare check-in (hub/welfare).
AUTO_ROLES = DISPATCH_ROLES | {SYSTEM_ROLE}
# Trail entries that record something without moving the state or being a rule here: replay skips them, and
# they never make a device's offline action stale (an escalation is not someone else acting on the case).
NON_STATE_EVENTS = frozenset({"report", "duplicate", "escalate", "note"})


class IllegalTransition(ValueError):
    """A transition the rules forbid; ``code`` is stable for clients, the message is zh / en."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class CaseState:
    state: str = "reported"
    assignee: str | None = None
    resolver: str | None = None  # who resolved last: may not verify their own work
    suspended_from: str | None = None


@dataclass(frozen=True)
class Context:
    actor: str
    role: str
    assignee: str | None = None  # dispatch / reassign target
    reason: str = ""
    note: str = ""
    evidence: tuple[str, ...] = field(default_factory=tuple)  # photo sha256s
    position: tuple[float, float, float] | None = None  # lat, lon, accuracy_m


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    roles: frozenset[str]
    target: Callable[[CaseState, Context], CaseState]
    zh: str


def _to(state: str, **changes: Any) -> Callable[[CaseState, Context], CaseState]:
    return lambda case, ctx: replace(case, state=state, **changes)


def _assign(state: str) -> Callable[[CaseState, Context], CaseState]:
    return lambda case, ctx: replace(case, state=state, assignee=ctx.assignee)


TRANSITIONS: dict[str, Rule] = {
    "file": Rule(frozenset({"reported"}), AUTO_ROLES, _to("filed"), "立案"),
    "not_file": Rule(frozenset({"reported"}), DISPATCH_ROLES, _to("not_filed"), "不予立案"),
    "dispatch": Rule(frozenset({"filed"}), AUTO_ROLES, _assign("dispatched"), "派遣"),
    "reassign": Rule(frozenset({"dispatched", "accepted", "arrived"}), DISPATCH_ROLES, _assign("dispatched"), "改派"),
    "accept": Rule(frozenset({"dispatched"}), FIELD_ROLES, _to("accepted"), "接单"),
    "arrive": Rule(frozenset({"accepted"}), FIELD_ROLES, _to("arrived"), "到场"),
    "return": Rule(frozenset({"dispatched", "accepted", "arrived"}), FIELD_ROLES, _to("filed", assignee=None), "退回"),
    "resolve": Rule(frozenset({"arrived"}), FIELD_ROLES,
                    lambda case, ctx: replace(case, state="resolved", resolver=ctx.actor), "处置反馈"),
    "verify": Rule(frozenset({"resolved"}), DISPATCH_ROLES, _to("verified"), "核查"),
    "rework": Rule(frozenset({"resolved", "verified"}), DISPATCH_ROLES, _to("dispatched"), "返工"),
    "close": Rule(frozenset({"verified"}), DISPATCH_ROLES, _to("closed"), "结案"),
    # 回访 不满意: back to the handler who resolved it last (they know the place), as a new task to accept.
    "reopen": Rule(frozenset({"closed"}), AUTO_ROLES, _to("dispatched"), "回访不满意返工"),
    "suspend": Rule(OPEN, DISPATCH_ROLES,
                    lambda case, ctx: replace(case, state="suspended", suspended_from=case.state), "挂起"),
    "resume": Rule(frozenset({"suspended"}), DISPATCH_ROLES,
                   lambda case, ctx: replace(case, state=case.suspended_from or case.state, suspended_from=None),
                   "恢复"),
    # A remark on the trail that changes nothing else (e.g. the late check-in of a missed welfare check).
    "note": Rule(OPEN | {"suspended"}, AUTO_ROLES | FIELD_ROLES, lambda case, ctx: case, "备注"),
    # The hub's own evidence settles a case nobody has taken up yet (the resident checked in after all);
    # a person still verifies (核查) and closes it: system is the resolver, so it can never verify itself.
    "auto_resolve": Rule(frozenset({"dispatched"}), frozenset({SYSTEM_ROLE}),
                         lambda case, ctx: replace(case, state="resolved", resolver=ctx.actor), "系统反馈"),
}
REASON_REQUIRED = frozenset({"not_file", "return", "rework", "suspend", "reassign", "reopen"})
REOPENING = frozenset({"reopen"})  # the only transitions out of a terminal state
ASSIGNEE_ONLY = frozenset({"accept", "arrive", "return", "resolve"})  # only the handler the case is with


def _refuse(code: str, zh: str, en: str) -> NoReturn:
    raise IllegalTransition(code, zh, en)


def check(case: CaseState, transition: str, ctx: Context) -> Rule:
    """The rule for ``transition`` when every guard passes; raises :class:`IllegalTransition` otherwise."""
    rule = TRANSITIONS.get(transition)
    if rule is None:
        _refuse("unknown_transition", f"未知操作 {transition!r}", f"unknown transition {transition!r}")
    if case.state in TERMINAL and not (transition in REOPENING and case.state in rule.sources):
        _refuse("terminal", f"案件已{'结案' if case.state == 'closed' else '不予立案'}，不能再{rule.zh}",
                f"the case is {case.state} (terminal); cannot {transition}")
    if case.state not in rule.sources:
        _refuse("wrong_state", f"案件当前状态为 {case.state}，不能{rule.zh}",
                f"cannot {transition} a case in state {case.state} (allowed from: {', '.join(sorted(rule.sources))})")
    if ctx.role not in rule.roles:
        _refuse("role", f"角色 {ctx.role} 无权{rule.zh}",
                f"role {ctx.role!r} may not {transition} (needs one of: {', '.join(sorted(rule.roles))})")
    if transition in ASSIGNEE_ONLY and ctx.actor != case.assignee:
        _refuse("not_assignee", f"案件未派给 {ctx.actor}，不能{rule.zh}",
                f"{ctx.actor} is not the case's assignee ({case.assignee}); cannot {transition}")
    if transition in ("note", "auto_resolve") and not ctx.note.strip():
        _refuse("note_required", f"{rule.zh}须填写说明", f"{transition} needs a note")
    if transition in REASON_REQUIRED and not ctx.reason.strip():
        _refuse("reason_required", f"{rule.zh}须填写理由", f"{transition} needs a reason")
    if transition in ("dispatch", "reassign"):
        if not ctx.assignee:
            _refuse("assignee_required", f"{rule.zh}须指定处置人", f"{transition} needs an assignee")
        if transition == "reassign" and ctx.assignee == case.assignee:
            _refuse("same_assignee", "改派对象与当前处置人相同", "reassign target is the current assignee")
    if transition == "resolve":
        missing = [what for what, ok in (("evidence photo", ctx.evidence), ("note", ctx.note.strip()),
                                         ("position", ctx.position)) if not ok]
        if missing:
            _refuse("evidence_required", "处置反馈须附现场照片、处置说明和位置",
                    f"resolve needs {', '.join(missing)}")
    if transition == "verify" and ctx.actor == case.resolver:
        _refuse("verifier_is_resolver", "核查人不能是处置人本人", "the verifier must not be the person who resolved it")
    return rule


def apply(case: CaseState, transition: str, ctx: Context) -> CaseState:
    """The state after ``transition``; raises :class:`IllegalTransition` (nothing changes) when refused."""
    return check(case, transition, ctx).target(case, ctx)


def allowed(case: CaseState, ctx: Context) -> list[str]:
    """Transitions ``ctx.actor`` could attempt now (guards on reason/evidence aside) - for UIs and tests."""
    return [t for t, rule in TRANSITIONS.items()
            if case.state in rule.sources and ctx.role in rule.roles
            and (t not in ASSIGNEE_ONLY or ctx.actor == case.assignee)
            and not (t == "verify" and ctx.actor == case.resolver)]


def invariant_problems(case: CaseState) -> list[str]:
    """What is wrong with a state that the rules should never produce (empty = consistent)."""
    problems = []
    if case.state not in OPEN | TERMINAL | {"suspended"}:
        problems.append(f"unknown state {case.state}")
    if case.state in ASSIGNED and not case.assignee:
        problems.append(f"{case.state} without an assignee")
    if case.state in ("resolved", "verified", "closed") and not case.resolver:
        problems.append(f"{case.state} without a resolver")
    if (case.state == "suspended") != (case.suspended_from is not None):
        problems.append("suspended_from set outside suspension (or missing in it)")
    if case.suspended_from is not None and case.suspended_from not in OPEN:
        problems.append(f"suspended from non-open state {case.suspended_from}")
    return problems
