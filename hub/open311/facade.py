"""Cases and the taxonomy seen as Open311 GeoReport v2 services, service requests and request updates,
and a POSTed request turned into a report that enters the same intake as a kiosk's.

How a web/311 request enters the pipeline: it becomes an ``IncidentReport`` record of the virtual source
``open311`` (its own gap-free ``seq``, allocated under a lock) stored in ``records`` like any device's
report. The case is then opened at once by the intake's own routing and ``open_case_from_report``, which
is idempotent by record id - so the background intake finding the same record later is a no-op, and a
crash between the two steps leaves a record that intake picks up. If opening fails here, the caller gets
the spec's ``token`` (the record id) to look the request up later. A client's retry of the same POST is
a new report of the same problem at the same place: duplicate grouping joins it to the open case.

Privacy: reads are public, as the GeoReport model intends, so they carry no personal data. Only cases
that come from a report (``records.kind = 'report'``) are published - internal tasks such as the welfare
watch's missed check-ins never are (nor is their category). Published per request: category, state (its
label only), position and unit path, and a moderated description: the text an operator approved for the
public (``cases.public_note``, set through ``PUT /api/cases/{id}/public-note``), else the report's own text
with phone numbers, ID numbers, licence plates and e-mail addresses masked (:mod:`hub.open311.redact`).
Updates publish, per applied transition, only the new status and the transition's label - never the staff's
reason or note text (internal working notes, e.g. why a case was not filed). Never published: people
(reporters, assignees, actors - not even ids), device ids, resident keys, photos (``media_url`` is null:
photos are served only to signed-in operators). Reporter contact fields (email, names, phone) are not stored.
POST needs an admin-issued ``api_key`` (:mod:`hub.auth.api_keys`). Statuses are the spec's ``open`` /
``closed`` (closed = 结案 or 不予立案).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.cases import repo as case_repo
from hub.cases import views_repo
from hub.cases.intake import CaseIntake
from hub.cases.service import CaseService
from hub.followup import repo as followup_repo
from hub.open311.formats import Open311Error, w3
from hub.open311.redact import redact
from hub.org import repo as org_repo
from hub.org.taxonomy import Category, list_categories
from hub.store import HubStore
from hub.store import records as record_rows
from hub.store.rows import RecordRow
from protocol import MAX_NOTE_CHARS, IncidentReport, Position, uuid7
from protocol.labels import label, state_label, transition_label

SOURCE_DEVICE = "open311"  # the virtual device id of web/311 reports
DEFAULT_SPAN = timedelta(days=90)  # the spec's default window
MAX_RESULTS = 1000  # the spec's default cap
CLOSED_STATES = ("closed", "not_filed")
# 独居老人未按时签到 is the welfare watch's own task, not something the public reports.
INTERNAL_SERVICES = frozenset({"E0703"})


@dataclass(frozen=True)
class Posted:
    service_request_id: str | None
    token: str
    notice: str


class Open311Facade:
    def __init__(self, store: HubStore, intake: CaseIntake | None = None):
        self.store = store
        self.clock = store.clock
        self.intake = intake or CaseIntake(store, CaseService(store, clock=store.clock))

    # -- services -----------------------------------------------------------------------------------
    def services(self) -> list[dict[str, Any]]:
        return [self._service(c) for c in list_categories(self.store, enabled_only=True)
                if c.code not in INTERNAL_SERVICES]

    def service_definition(self, code: str) -> dict[str, Any]:
        if code in INTERNAL_SERVICES or not any(s["service_code"] == code for s in self.services()):
            raise Open311Error(404, f"no service {code}")
        return {"service_code": code, "attributes": []}  # no extra questions: metadata is false

    @staticmethod
    def _service(c: Category) -> dict[str, Any]:
        unit = "工作小时 working hours" if c.time_limit_unit == "working_hours" else "工作日 working days"
        kind = "部件 component" if c.kind == "component" else "事件 event"
        description = (f"{c.name_en}. 立案条件 filing: {c.filing_conditions or '-'}; "
                       f"结案条件 closing: {c.closing_conditions or '-'}; 时限 limit: {c.time_limit_value} {unit}")
        return {"service_code": c.code, "service_name": f"{c.name_zh} {c.name_en}", "description": description,
                "metadata": False, "type": "realtime", "keywords": f"{c.name_zh}, {c.kind}",
                "group": f"{kind} {c.major_code}"}

    # -- requests -----------------------------------------------------------------------------------
    def requests(self, *, ids: list[str] | None = None, service_codes: list[str] | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 statuses: list[str] | None = None) -> list[dict[str, Any]]:
        closed: bool | None = None
        if not ids:  # the spec: service_request_id overrides every other filter
            now = self.clock()
            end = end or (start + DEFAULT_SPAN if start else now)
            start = start or end - DEFAULT_SPAN
            wanted = set(statuses or ())
            closed = False if wanted == {"open"} else True if wanted == {"closed"} else None
        with self.store.read() as conn:
            rows = views_repo.public_cases(conn, internal=INTERNAL_SERVICES, ids=ids, start=start, end=end,
                                           categories=service_codes, closed=closed, closed_states=CLOSED_STATES,
                                           limit=MAX_RESULTS)
            if not rows:
                return []
            cats = {c["code"]: c for c in org_repo.category_rows(conn)}
            names = {code: f"{c['name_zh']} {c['name_en']}" for code, c in cats.items()}
            departments = {code: c["department"] for code, c in cats.items()}
            tree = org_repo.unit_tree(conn)
        return [self._request(r, names, departments, tree) for r in rows]

    def request(self, case_id: str) -> dict[str, Any]:
        found = self.requests(ids=[case_id])
        if not found:
            raise Open311Error(404, f"no service request {case_id}")
        return found[0]

    @staticmethod
    def public_description(case: Any) -> str:
        """What Open311 publishes as a case's description: the operator-approved text, else the report's text
        redacted. ``case``: a row mapping or anything with ``public_note`` and ``note``."""
        get = case.get if isinstance(case, dict) else lambda key: getattr(case, key, None)
        approved = get("public_note")
        return approved if approved is not None else redact(get("note"))

    @classmethod
    def _request(cls, r: dict[str, Any], names: dict[str, str], departments: dict[str, str | None],
                 tree: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
        unit = r["grid_code"] or r["community_code"]
        path: list[str] = []
        code = unit
        while code in tree:  # 市 区 街道 社区 网格, top down
            path.insert(0, tree[code][0])
            code = tree[code][1]
        closed = r["state"] in CLOSED_STATES
        status_notes = f"{state_label(r['state'])} {r['state']}"  # the state only: never the staff's reason
        return {
            "service_request_id": r["id"], "status": "closed" if closed else "open", "status_notes": status_notes,
            "service_name": names.get(r["category_code"], r["category_code"]), "service_code": r["category_code"],
            "description": cls.public_description(r), "agency_responsible": departments.get(r["category_code"]) or (
                tree[unit][0] if unit in tree else None),
            "service_notice": f"案件编号 {r['reference']} / reference {r['reference']}" if r.get("reference") else "",
            "reference": r.get("reference"), "requested_datetime": w3(r["created_at"]),
            "updated_datetime": w3(r["updated_at"]),
            "expected_datetime": w3(r["deadline"]), "address": "".join(path) or None, "address_id": unit,
            "zipcode": None, "lat": r["lat"], "long": r["lon"], "media_url": None,
        }

    # -- request updates (servicerequestupdates, the FixMyStreet extension) ----------------------------
    def updates(self, *, start: datetime | None = None, end: datetime | None = None,
                ids: list[str] | None = None) -> list[dict[str, Any]]:
        end = end or (start + DEFAULT_SPAN if start else self.clock())
        start = start or end - DEFAULT_SPAN
        with self.store.read() as conn:
            rows = views_repo.public_events(conn, internal=INTERNAL_SERVICES, start=start, end=end, ids=ids,
                                            limit=MAX_RESULTS)
        return [{"update_id": str(r.id), "service_request_id": r.case_id,
                 "status": "closed" if r.to_state in CLOSED_STATES else "open",
                 "updated_datetime": w3(r.at),
                 # the transition's label only: reason/note texts are the staff's, never public
                 "description": f"{transition_label(r.transition)} {r.transition}",
                 "media_url": None} for r in rows] + self._followup_updates(start, end, ids)

    @staticmethod
    def _published(conn: Any, case_id: str) -> bool:
        """Only cases that come from a report are published (as for requests and their updates)."""
        case = case_repo.case(conn, case_id)
        return case is not None and record_rows.get_of_kind(conn, case.source_record_id, "report") is not None

    def _followup_updates(self, start: datetime, end: datetime, ids: list[str] | None) -> list[dict[str, Any]]:
        """回访 outcomes as updates: the answer's label only - the resident's words and the channel stay private."""
        with self.store.read() as conn:
            rows = [r for r in followup_repo.answered_between(conn, start, end, internal=sorted(INTERNAL_SERVICES),
                                                              ids=ids, limit=MAX_RESULTS)
                    if self._published(conn, r.case_id)]
        return [{"update_id": f"followup-{r.id}", "service_request_id": r.case_id,
                 "status": "open" if r.answer == "dissatisfied" else "closed",
                 "updated_datetime": w3(r.answered_at),
                 "description": f"回访：{label(key)} / follow-up: {label(key, 'en')}",
                 "media_url": None} for r in rows for key in [f"followup.{r.answer}"]]

    # -- POST requests --------------------------------------------------------------------------------
    def post_request(self, params: dict[str, str]) -> Posted:
        code = (params.get("service_code") or "").strip()
        if not code:
            raise Open311Error(400, "service_code is required")
        if code in INTERNAL_SERVICES or code not in {s["service_code"] for s in self.services()}:
            raise Open311Error(404, f"no service {code}")
        if not params.get("lat") or not params.get("long"):
            raise Open311Error(400, "lat and long are required (address_string alone cannot be routed to a grid)")
        try:
            position = Position(lat=float(params["lat"]), lon=float(params["long"]), accuracy_m=0.0)
        except ValueError:
            raise Open311Error(400, "lat/long must be WGS-84 decimal degrees") from None
        description = (params.get("description") or "").strip()
        if len(description) > MAX_NOTE_CHARS:
            raise Open311Error(400, f"description longer than {MAX_NOTE_CHARS} characters")
        record = self._store_report(code, description, position)
        try:
            result = self.intake.service.open_case_from_report(record, self.intake.route(record))
        except Exception:  # noqa: BLE001 - the record is stored; the background intake will open the case
            return Posted(None, record.id, "已收到，正在受理 / received; use the token to look it up")
        notice = ("已并入同一问题的在办案件 / joined an open request for the same problem" if result.joined
                  else "已受理 / received")
        return Posted(result.case.id, record.id, notice)

    def _store_report(self, code: str, description: str, position: Position) -> RecordRow:
        """The request as a report of the virtual source ``open311``, stored by the same writer as a kiosk's."""
        def report(seq: int, now: datetime) -> IncidentReport:
            return IncidentReport(id=uuid7(int(now.timestamp() * 1000)), device_id=SOURCE_DEVICE, seq=seq,
                                  created_at=now, category=code, note=description, position=position)

        result = self.store.store_local_report(SOURCE_DEVICE, report)
        [record_id] = result.device(SOURCE_DEVICE).committed
        record = self.store.get_record(record_id)
        assert record is not None  # committed just now
        return record

    def token(self, token: str) -> dict[str, Any]:
        with self.store.read() as conn:
            if record_rows.get_of_kind(conn, token, "report") is None:
                raise Open311Error(404, f"no token {token}")
            case_id = case_repo.case_of_client_event(conn, f"{case_repo.REPORT_EVENT_PREFIX}{token}")
        return {"token": token, "service_request_id": case_id}
