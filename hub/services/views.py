"""What the dashboard reads about services: the queues per role, the dispute register (台账) with both colours and
the plan, the visit diary (法律需求日记), the KPIs (调解成功率, average time to first contact, follow-ups done) and the
rows of their exports. Read-only; every function takes the scope's units (None: the top sees all).

Private text (dispute parties' free text and agreements, visits' notes) is included only when ``private`` is true:
the API passes it for the roles that handle cases, and logs each such read (hub/api/services.py)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.cases import repo as case_repo
from hub.cases.rows import CaseRow
from hub.cases.timing import raise_level
from hub.services import repo, routing
from hub.store import HubStore

VISITS = ("arrive", "resolve")  # trail entries that stand for a visit to the parties (到场, 处置反馈)
OPEN_STATES = ("reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified", "suspended")
PRIVATE = "（仅经办人员可见）"


@dataclass(frozen=True)
class CaseBits:
    reference: str | None
    title: str
    state: str
    level: str  # the deadline colour
    assignee: str | None
    deadline: datetime | None
    escalation_level: str | None
    grid_code: str | None
    community_code: str | None
    closed_at: datetime | None


def _bits(case: CaseRow) -> CaseBits:
    return CaseBits(case.reference, case.title, case.state, case.level, case.assignee, case.deadline,
                    case.escalation_level, case.grid_code, case.community_code, case.closed_at)


def _cases(conn: sa.Connection, ids: Sequence[str], scope_units: sa.Select[str] | None) -> dict[str, CaseRow]:
    found = {i: c for i in ids if (c := case_repo.case(conn, i)) is not None}
    if scope_units is None:
        return found
    visible = set(conn.execute(sa.select(scope_units.subquery().c[0])).scalars())
    return {i: c for i, c in found.items() if (c.grid_code or c.community_code) in visible}


def requests(store: HubStore, scope_units: sa.Select[str] | None, *, kind: str | None = None,
             role: str | None = None, open_only: bool = False, since: datetime | None = None,
             until: datetime | None = None, limit: int = 500) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = repo.requests_in(conn, scope_units, kind=kind, role=role, since=since, until=until, limit=limit)
        cases = _cases(conn, [r.case_id for r in rows], scope_units)
        first = case_repo.first_times(conn, list(cases), ["accept"])
    out = []
    for r in rows:
        case = cases.get(r.case_id)
        if case is None or (open_only and case.state not in OPEN_STATES):
            continue
        accepted = first.get(r.case_id, {}).get("accept")
        out.append(asdict(r) | {"case": asdict(_bits(case)), "first_contact_at": accepted,
                                "kind_zh": routing.LABELS[r.kind][0], "kind_en": routing.LABELS[r.kind][1]})
    return out


def queues(store: HubStore, scope_units: sa.Select[str] | None) -> list[dict[str, Any]]:
    """Open service cases per routed role (None: the control room), with how many are overdue."""
    rows = requests(store, scope_units, open_only=True, limit=5000)
    counts: dict[str | None, dict[str, Any]] = {}
    for r in rows:
        entry = counts.setdefault(r["routed_role"], {"role": r["routed_role"], "open": 0, "red": 0, "yellow": 0})
        entry["open"] += 1
        if r["case"]["level"] in ("red", "yellow"):
            entry[r["case"]["level"]] += 1
    return sorted(counts.values(), key=lambda e: (e["role"] is None, e["role"] or ""))


def register(store: HubStore, scope_units: sa.Select[str] | None, *, private: bool,
             since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """The dispute register: each dispute with its seriousness colour, its deadline colour, the higher of the
    two (what escalation follows), its plan and outcome."""
    with store.read() as conn:
        ids = repo.dispute_ids(conn, since=since, until=until)
        cases = _cases(conn, ids, scope_units)
        disputes = repo.disputes_of(conn, list(cases))
        visited = {i: case_repo.last_applied_at(conn, i, VISITS) for i in disputes}
    out = []
    for case_id in ids:
        d, case = disputes.get(case_id), cases.get(case_id)
        if d is None or case is None:
            continue
        last = visited.get(case_id) or d.created_at
        row = asdict(d) | {"case": asdict(_bits(case)), "effective_colour": raise_level(d.colour, case.level),
                           "last_visit_at": visited.get(case_id),
                           "next_visit_due": None if d.outcome else last + timedelta(days=d.visit_interval_days)}
        row["parties"] = [p if private or "resident_key" in p else {"private": PRIVATE} for p in d.parties]
        row["agreement"] = d.agreement if private else (PRIVATE if d.agreement else "")
        out.append(row)
    return out


def colours(store: HubStore, scope_units: sa.Select[str] | None) -> dict[str, dict[str, str]]:
    """case id → the seriousness and the deadline colour and the higher of the two, for every open dispute in scope:
    what the task board marks on its cards (nothing private)."""
    with store.read() as conn:
        found = {d.case_id: d for d in repo.open_disputes(conn)}
        cases = _cases(conn, list(found), scope_units)
    return {i: {"seriousness": found[i].colour, "deadline": c.level, "higher": raise_level(found[i].colour, c.level)}
            for i, c in cases.items()}


def visits(store: HubStore, scope_units: sa.Select[str] | None, *, private: bool, grid_code: str | None = None,
           since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = repo.visits_in(conn, scope_units, grid_code=grid_code, since=since, until=until)
        linked = repo.requests_of_visits(conn, [v.id for v in rows])
        cases = _cases(conn, [r.case_id for rs in linked.values() for r in rs], None)
    out = []
    for v in rows:
        row = asdict(v)
        if not private:
            row["private_note"] = PRIVATE if v.private_note else ""
        row["requests"] = [{"case_id": r.case_id, "kind": r.kind, "need_level": r.need_level,
                            "routed_role": r.routed_role, "routed_to": r.routed_to,
                            "reference": cases[r.case_id].reference if r.case_id in cases else None,
                            "state": cases[r.case_id].state if r.case_id in cases else None}
                           for r in linked.get(v.id, [])]
        out.append(row)
    return out


def kpis(store: HubStore, scope_units: sa.Select[str] | None, since: datetime, until: datetime,
         now: datetime) -> dict[str, Any]:
    """调解成功率 = settled / disputes with an outcome; 平均首次联系时长 = mean(first accept − opening) of the
    service cases opened in the period; 回访完成 = settled disputes whose 30-day visit is done / those due by now."""
    rows = requests(store, scope_units, since=since, until=until, limit=5000)
    waits = [(r["first_contact_at"] - r["created_at"]).total_seconds() for r in rows if r["first_contact_at"]]
    register_rows = register(store, scope_units, private=False, since=since, until=until)
    decided = [d for d in register_rows if d["outcome"]]
    settled = [d for d in decided if d["outcome"] == "settled"]
    due = [d for d in settled if d["followup_due_at"] is not None and d["followup_due_at"] <= now]
    done = [d for d in settled if d["followup_done_at"] is not None]
    return {"since": since, "until": until, "requests": len(rows),
            "by_kind": {k: sum(r["kind"] == k for r in rows) for k in routing.SERVICE_KINDS},
            "disputes": len(register_rows), "decided": len(decided), "settled": len(settled),
            "mediation_success_rate": round(len(settled) / len(decided), 4) if decided else None,
            "first_contact_avg_minutes": round(sum(waits) / len(waits) / 60, 1) if waits else None,
            "contacted": len(waits), "followups_due": len(due), "followups_done": len(done)}


# -- exports -------------------------------------------------------------------------------------------------------
COLOURS = {"blue": ("蓝", "blue"), "yellow": ("黄", "yellow"), "red": ("红", "red")}
OUTCOMES = {"settled": ("调解成功", "settled"), "transferred": ("转办", "transferred"),
            "litigation": ("诉讼", "litigation"), "withdrawn": ("撤回", "withdrawn")}
REGISTER_HEADERS = (("案件编号", "Reference", True), ("纠纷类型", "Type", False), ("严重程度", "Seriousness", False),
                    ("时限颜色", "Deadline colour", False), ("预警等级", "Higher colour", False),
                    ("牵头人", "Lead", True), ("知会", "Informed", False),
                    ("走访间隔(天)", "Visit every (days)", False),
                    ("办结时限(天)", "Time limit (days)", False), ("办结期限", "Deadline", False),
                    ("状态", "State", False), ("结果", "Outcome", False), ("调解协议", "Agreement", False),
                    ("回访日期", "Follow-up due", False), ("登记时间", "Registered", False))
VISIT_HEADERS = (("走访时间", "Visited", False), ("网格", "Grid", True), ("楼栋", "Building", True),
                 ("走访人", "Worker", True), ("走访对象", "Met", False), ("需求", "Needs", False),
                 ("案件编号", "References", False), ("走访记录", "Note", False))


def register_rows(rows: list[dict[str, Any]], lang: str) -> list[list[Any]]:
    i = 0 if lang == "zh-CN" else 1
    return [[r["case"]["reference"], r["dispute_type"], COLOURS[r["colour"]][i], COLOURS[r["case"]["level"]][i],
             COLOURS[r["effective_colour"]][i], r["lead"], ", ".join(r["informed"]), r["visit_interval_days"],
             r["time_limit_days"], r["case"]["deadline"], r["case"]["state"],
             OUTCOMES[r["outcome"]][i] if r["outcome"] else "", r["agreement"], r["followup_due_at"],
             r["created_at"]] for r in rows]


LEVEL_NAMES = {"grid": ("网格", "grid"), "community": ("社区", "community"), "street": ("街道", "street")}
MET_NAMES = {"resident": ("本人", "resident"), "family": ("家属", "family"), "tenant": ("租户", "tenant"),
             "nobody": ("未遇", "nobody home")}


def visit_rows(rows: list[dict[str, Any]], lang: str) -> list[list[Any]]:
    i = 0 if lang == "zh-CN" else 1
    return [[v["visited_at"], v["grid_code"], v["building_code"], v["worker"],
             MET_NAMES.get(v["met"], (v["met"], v["met"]))[i],
             ", ".join(f"{routing.LABELS[q['kind']][i]}/{LEVEL_NAMES.get(q['need_level'] or 'grid', ('', ''))[i]}"
                       for q in v["requests"]),
             ", ".join(q["reference"] or "" for q in v["requests"]), v["private_note"]] for v in rows]
