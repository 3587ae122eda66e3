"""The hub's schema as SQLAlchemy Core tables; Alembic migrations in ``migrations/`` create the same shape.

Times are stored in UTC by :class:`UtcDateTime` so SQLite (no time zones) and PostgreSQL
compare and sort them the same way.
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from hub.store.vocabulary import (
    ACTION_OUTCOMES,
    CALENDAR_DAY_KINDS,
    CASE_LEVELS,
    CASE_STATES,
    CATEGORY_KINDS,
    DEVICE_IDENTITY_STATES,
    DEVICE_KINDS,
    EVENT_ORIGINS,
    EVENT_OUTCOMES,
    OPERATOR_ROLES,
    PERSON_ROLES,
    TASK_ROLES,
    TIME_LIMIT_UNITS,
    UNIT_LEVELS,
    WELFARE_CHECK_STATUSES,
)


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused (a clock bug, not data)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the hub store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        # SQLite keeps the text; without tzinfo every value has one format, so text order = time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

records = sa.Table(
    "records", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("payload", sa.Text, nullable=False, comment="canonical JSON, as protocol.encode writes it"),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("device_time", UtcDateTime, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Index("ix_records_device_seq", "device_id", "seq"),
    sa.Index("ix_records_kind_received", "kind", "received_at"),
    sa.Index("ix_records_received", "received_at", "id"),
)

photos = sa.Table(
    "photos", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("mime", sa.String(32), nullable=False),
    sa.Column("path", sa.Text, nullable=False, comment="relative to data_dir"),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("completed_at", UtcDateTime, nullable=False),
)

photo_chunks = sa.Table(
    "photo_chunks", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total_size", sa.Integer, nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

devices = sa.Table(
    "devices", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False, server_default="offline"),
    sa.Column("last_seen", UtcDateTime),
    sa.Column("status_at", UtcDateTime, comment="when the last presence change was received"),
    sa.Column("outbox_depth", sa.Integer),
    sa.Column("photos_pending", sa.Integer),
    sa.Column("battery_pct", sa.Float),
    sa.Column("app_version", sa.String(40)),
    sa.Column("clock_skew_ms", sa.BigInteger, comment="hub receive time - device sent_at"),
    sa.Column("first_seen", UtcDateTime, nullable=False),
)

downlinks = sa.Table(
    "downlinks", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("state", sa.String(12), nullable=False, server_default="queued"),
    sa.Column("send_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_sent_at", UtcDateTime),
    sa.Column("delivered_at", UtcDateTime),
    sa.Column("read_at", UtcDateTime),
    sa.Index("ix_downlinks_device_state", "device_id", "state"),
    sa.Index("ix_downlinks_state_sent", "state", "last_sent_at"),
)

dead_letters = sa.Table(
    "dead_letters", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False, comment="truncated to the configured cap"),
    sa.Column("payload_size", sa.Integer, nullable=False, comment="size before truncation"),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("device_id", sa.String(64)),
    sa.Index("ix_dead_letters_received", "received_at"),
    sa.Index("ix_dead_letters_reason", "reason"),
)

# -- organisation and geography (migration 0002) -------------------------------------------------
# city → district → street (街道) → community (社区) → grid (网格); codes follow the division code
# (6 digits) + street 3 + community 3 + grid serial 3, see hub/org/codes.py.


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


units = sa.Table(
    "units", metadata,
    sa.Column("code", sa.String(18), primary_key=True),
    sa.Column("level", sa.String(12), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("parent_code", sa.String(18), sa.ForeignKey("units.code", name="fk_units_parent"), nullable=True),
    sa.Column("geometry", sa.Text, comment="GeoJSON geometry (WGS-84 lon/lat), grids only"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("abbr", sa.String(8), comment="a community's prefix for case references, e.g. FS"),
    _one_of("level", UNIT_LEVELS, "ck_units_level"),
    sa.Index("ix_units_parent", "parent_code"),
    sa.Index("ix_units_level", "level"),
)

people = sa.Table(
    "people", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("unit_code", sa.String(18), sa.ForeignKey("units.code", name="fk_people_unit"), nullable=False),
    sa.Column("phone_device_id", sa.String(64)),
    _one_of("role", PERSON_ROLES, "ck_people_role"),
    sa.Index("ix_people_unit", "unit_code"),
)

device_bindings = sa.Table(
    "device_bindings", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("unit_code", sa.String(18), sa.ForeignKey("units.code", name="fk_device_bindings_unit"),
              nullable=False),
    sa.Column("owner_person_id", sa.String(64), sa.ForeignKey("people.id", name="fk_device_bindings_owner")),
    _one_of("kind", DEVICE_KINDS, "ck_device_bindings_kind"),
    sa.Index("ix_device_bindings_unit", "unit_code"),
)

categories = sa.Table(
    "categories", metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("major_code", sa.String(4), nullable=False),
    sa.Column("minor_code", sa.String(4), nullable=False),
    sa.Column("name_zh", sa.String(64), nullable=False),
    sa.Column("name_en", sa.String(128), nullable=False),
    sa.Column("filing_conditions", sa.Text, nullable=False, server_default=""),
    sa.Column("closing_conditions", sa.Text, nullable=False, server_default=""),
    sa.Column("time_limit_value", sa.Integer, nullable=False),
    sa.Column("time_limit_unit", sa.String(16), nullable=False),
    sa.Column("department", sa.String(64)),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    _one_of("kind", CATEGORY_KINDS, "ck_categories_kind"),
    _one_of("time_limit_unit", TIME_LIMIT_UNITS, "ck_categories_time_unit"),
    sa.CheckConstraint("time_limit_value > 0", name="ck_categories_time_positive"),
)

# -- cases: the closed loop 上报 → 立案 → 派遣 → 处置 → 核查 → 结案 (migration 0003) -------------------

cases = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.String(36), primary_key=True, comment="UUIDv7: time-ordered, no shared counter to race on"),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("suspended_from", sa.String(12), comment="the state to restore on resume"),
    sa.Column("category_code", sa.String(16), nullable=False, comment="no FK: a report may carry an unknown code"),
    sa.Column("grid_code", sa.String(15)),
    sa.Column("community_code", sa.String(15)),
    sa.Column("level", sa.String(6), nullable=False),
    sa.Column("title", sa.String(128), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("accuracy_m", sa.Float),
    sa.Column("flagged_for_review", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("route_reason", sa.String(24)),
    sa.Column("source_record_id", sa.String(36), nullable=False, unique=True),
    sa.Column("report_count", sa.Integer, nullable=False, server_default="1"),
    sa.Column("assignee", sa.String(64)),
    sa.Column("resolver", sa.String(64), comment="who resolved last; must not verify"),
    sa.Column("filed_at", UtcDateTime),
    sa.Column("deadline", UtcDateTime, comment="NULL before filing and while a suspension stops the clock"),
    sa.Column("suspended_at", UtcDateTime),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # (migration 0004) how far up grid → community → street → district → city the case has been escalated
    sa.Column("escalation_level", sa.String(12), comment="unit level last notified by escalation; NULL = none"),
    sa.Column("escalated_at", UtcDateTime),
    # (migration 0010) what Open311 publishes: an operator-approved description, else the report's text redacted
    sa.Column("public_note", sa.Text, comment="the description Open311 publishes, approved by an operator; "
                                              "NULL: the report's text, redacted"),
    sa.Column("public_note_by", sa.String(64)),
    sa.Column("public_note_at", UtcDateTime),
    # (migration 0011) casework: references, source, urgency, triage, alarms
    sa.Column("reference", sa.String(24), comment="FS-20261204-0042: community, local day, counter (unique)"),
    sa.Column("receipt_code", sa.String(8), comment="the last 6 hex digits of the report's record id: what the kiosk "
                                                    "showed the resident"),
    sa.Column("source", sa.String(16), nullable=False, server_default="device",
              comment="device | open311 | phone | walk_in | hotline | patrol | system"),
    sa.Column("severity", sa.String(8), comment="the reporter's urgency: low | normal | high | urgent"),
    sa.Column("route_candidates", sa.JSON, comment="[{grid, share}] when routing was unsure (triage)"),
    sa.Column("merged_into", sa.String(36), comment="the case a triaged report was merged into"),
    sa.Column("alarm_at", UtcDateTime, comment="an urgent case's alarm, on the dashboard until acknowledged"),
    sa.Column("alarm_acked_at", UtcDateTime),
    sa.Column("alarm_acked_by", sa.String(64)),
    _one_of("state", CASE_STATES, "ck_cases_state"),
    _one_of("level", CASE_LEVELS, "ck_cases_level"),
    sa.Index("ix_cases_state", "state"),
    sa.Index("ix_cases_category_state", "category_code", "state"),
    sa.Index("ix_cases_grid", "grid_code"),
    sa.Index("uq_cases_reference", "reference", unique=True),
    sa.Index("ix_cases_receipt_code", "receipt_code"),
    sa.Index("ix_cases_created", "created_at", "id"),
    sa.Index("ix_cases_state_created", "state", "created_at", "id"),
    sa.Index("ix_cases_grid_created", "grid_code", "created_at", "id"),
    sa.Index("ix_cases_assignee", "assignee"),
    sa.Index("ix_cases_alarm", "alarm_at", "alarm_acked_at"),
)
# (migration 0012) the case list and lookup (hub/cases/views_repo.py queries with these same expressions). A case's
# place is its grid, else its community; the open-case indexes are partial; the text index is PostgreSQL's only (a GIN
# over the function gridline_bigrams, which the migration creates: every two-character piece of the text).
CASE_PLACE = sa.func.coalesce(cases.c.grid_code, cases.c.community_code)
CASES_NOT_CLOSED = sa.text("state NOT IN ('closed', 'not_filed')")
CASE_TEXT = sa.func.lower(sa.func.coalesce(cases.c.reference, sa.literal_column("''", sa.String))
                          + sa.literal_column("' '", sa.String) + cases.c.title + sa.literal_column("' '", sa.String)
                          + cases.c.note)
sa.Index("ix_cases_place_created", CASE_PLACE, cases.c.created_at, cases.c.id,
         postgresql_include=["grid_code", "community_code"])
sa.Index("ix_cases_open_place", CASE_PLACE, cases.c.created_at, cases.c.id, postgresql_where=CASES_NOT_CLOSED,
         sqlite_where=CASES_NOT_CLOSED)
sa.Index("ix_cases_open_deadline", cases.c.deadline, cases.c.id, postgresql_where=CASES_NOT_CLOSED,
         sqlite_where=CASES_NOT_CLOSED, postgresql_include=["state", "grid_code", "community_code"])
sa.Index("ix_cases_text_bigrams", sa.func.gridline_bigrams(CASE_TEXT), postgresql_using="gin",
         _table=cases).ddl_if(dialect="postgresql")  # _table: SQLAlchemy finds no column this deep in the expression

# One counter per reference prefix (a community) and local day: the NNNN of FS-20261204-NNNN (migration 0011).
case_reference_counters = sa.Table(
    "case_reference_counters", metadata,
    sa.Column("prefix", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True, comment="local day in the deployment's zone"),
    sa.Column("last", sa.Integer, nullable=False),
)

case_events = sa.Table(
    "case_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", name="fk_case_events_case"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("transition", sa.String(16), nullable=False),
    sa.Column("outcome", sa.String(8), nullable=False, comment="rejected: a stale device transition, kept for audit"),
    sa.Column("from_state", sa.String(12)),
    sa.Column("to_state", sa.String(12)),
    sa.Column("actor", sa.String(64), nullable=False, comment="person id or 'system'"),
    sa.Column("actor_device", sa.String(64)),
    sa.Column("assignee", sa.String(64), comment="new assignee (dispatch, reassign)"),
    sa.Column("category_code", sa.String(16), comment="category corrected at filing"),
    sa.Column("at", UtcDateTime, nullable=False, comment="when it happened (device time for device events)"),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("accuracy_m", sa.Float),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("evidence", sa.JSON, comment="list of photo sha256"),
    sa.Column("origin", sa.String(8), nullable=False),
    sa.Column("client_event_id", sa.String(64), unique=True),
    sa.Column("operator_id", sa.String(36), comment="the signed-in account behind an API event (audit; one account "
                                                     "may not resolve and verify one case)"),
    sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
    _one_of("origin", EVENT_ORIGINS, "ck_case_events_origin"),
    _one_of("outcome", EVENT_OUTCOMES, "ck_case_events_outcome"),
)
# (migration 0012) a duplicate report's receipt code: the last 6 characters of its intake key "report:<record id>"
DUPLICATE_RECEIPT = sa.func.substr(case_events.c.client_event_id,
                                   sa.func.length(case_events.c.client_event_id) - sa.literal_column("5"))
IS_DUPLICATE = sa.text("transition = 'duplicate'")
sa.Index("ix_case_events_duplicate_receipt", DUPLICATE_RECEIPT, postgresql_where=IS_DUPLICATE,
         sqlite_where=IS_DUPLICATE)

# -- dispatch: tasks sent to devices, their receipts, escalations (migration 0004) ------------------------------
# (owned by the dispatch work; keep this section's tables in step with 0004_dispatch.py)

task_deliveries = sa.Table(
    "task_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", name="fk_task_deliveries_case"), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("person_id", sa.String(64), comment="whose phone; NULL for a grid kiosk"),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("reason", sa.String(16), nullable=False,
              comment="assignee | grid_kiosk | department | verifier | escalation"),
    sa.Column("downlink_id", sa.String(36), nullable=False, comment="the latest task message sent for it"),
    sa.Column("case_version", sa.Integer, nullable=False),
    sa.Column("body_sha256", sa.String(64), nullable=False, comment="of the last body sent, minus 'why'"),
    sa.Column("created_at", UtcDateTime, nullable=False, comment="first queued"),
    sa.Column("updated_at", UtcDateTime, nullable=False, comment="last message queued"),
    sa.Column("sent_at", UtcDateTime, comment="first handed to the broker"),
    sa.Column("delivered_at", UtcDateTime),
    sa.Column("read_at", UtcDateTime),
    sa.Column("accepted_at", UtcDateTime, comment="device time of the applied accept"),
    sa.Column("resend_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("resent_at", UtcDateTime),
    sa.Column("escalated_at", UtcDateTime),
    sa.Column("withdrawn_at", UtcDateTime),
    _one_of("role", TASK_ROLES, "ck_task_deliveries_role"),
    sa.Index("ix_task_deliveries_case", "case_id"),
    sa.Index("ix_task_deliveries_open", "withdrawn_at", "role"),
)

# One row per case event the dispatcher has acted on (written with its effects): exactly-once on restart.
dispatch_marks = sa.Table(
    "dispatch_marks", metadata,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("case_events.id", name="fk_dispatch_marks_event"),
              primary_key=True, autoincrement=False),
    sa.Column("processed_at", UtcDateTime, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False, server_default="", comment="what it led to, for operators"),
)

# What became of each stored device action (``records`` of kind action): applied, rejected or dead.
action_outcomes = sa.Table(
    "action_outcomes", metadata,
    sa.Column("record_id", sa.String(36), sa.ForeignKey("records.id", name="fk_action_outcomes_record"),
              primary_key=True),
    sa.Column("outcome", sa.String(8), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("case_event_id", sa.Integer, comment="the audit event it produced (applied or rejected)"),
    sa.Column("processed_at", UtcDateTime, nullable=False),
    _one_of("outcome", ACTION_OUTCOMES, "ck_action_outcomes_outcome"),
)

# A department's contact for a unit (消防通道 → the community's property company): gets an informed task.
department_contacts = sa.Table(
    "department_contacts", metadata,
    sa.Column("department", sa.String(64), primary_key=True),
    sa.Column("unit_code", sa.String(15), sa.ForeignKey("units.code", name="fk_department_contacts_unit"),
              primary_key=True),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", name="fk_department_contacts_person"),
              primary_key=True),
)

# -- welfare watch 1+1+N: enrolments and daily checks (migration 0005) ------------------------------------------
# (owned by the welfare work; keep this section's tables in step with 0005_welfare.py)
# Residents are known here only by resident_key (HMAC of the card, made on the device) plus a staff-chosen label.

welfare_enrolments = sa.Table(
    "welfare_enrolments", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("resident_key", sa.String(64), nullable=False, unique=True, comment="HMAC-SHA256 hex, never a name"),
    sa.Column("label", sa.String(64), nullable=False, server_default="",
              comment="non-identifying, chosen by staff, e.g. 3栋2单元 独居老人A"),
    sa.Column("grid_code", sa.String(15), sa.ForeignKey("units.code", name="fk_welfare_enrolments_grid"),
              nullable=False),
    sa.Column("window_start", sa.Time, nullable=False, comment="local time in the deployment's zone"),
    sa.Column("window_end", sa.Time, nullable=False),
    sa.Column("deadline", sa.Time, comment="local time by which any evidence settles the day (0018); NULL: window_end"),
    sa.Column("weekdays", sa.String(7), nullable=False, server_default="1234567", comment="ISO days, 1 = Monday"),
    sa.Column("primary_helper", sa.String(64), sa.ForeignKey("people.id", name="fk_welfare_enrolments_primary"),
              nullable=False, comment="the first 1: a neighbour or volunteer, gets the task"),
    sa.Column("second_helper", sa.String(64), sa.ForeignKey("people.id", name="fk_welfare_enrolments_second"),
              comment="the second 1: the grid worker, the fallback assignee"),
    sa.Column("informed", sa.JSON, nullable=False, comment="the N: person ids told about a missed check"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("active_since", UtcDateTime, nullable=False, comment="days whose window opens earlier are not due"),
    sa.Column("paused_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("paused_until", sa.Date, comment="last paused local day; NULL = until resumed"),
    sa.Column("enrolled_by", sa.String(64), nullable=False),
    sa.Column("enrolled_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("window_start < window_end", name="ck_welfare_enrolments_window"),
    sa.Index("ix_welfare_enrolments_grid", "grid_code"),
)

welfare_checks = sa.Table(
    "welfare_checks", metadata,
    sa.Column("id", sa.String(36), primary_key=True, comment="UUIDv7; the source id of a missed check's case"),
    sa.Column("enrolment_id", sa.String(36), sa.ForeignKey("welfare_enrolments.id", name="fk_welfare_checks_enrolment"),
              nullable=False),
    sa.Column("resident_key", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False, comment="local date in the deployment's zone"),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("window_start", UtcDateTime, nullable=False, comment="the window as it was when judged"),
    sa.Column("window_end", UtcDateTime, nullable=False),
    sa.Column("checkin_record_id", sa.String(36), comment="the wellbeing check-in that satisfied the window"),
    sa.Column("checkin_at", UtcDateTime, comment="its device time"),
    sa.Column("late_record_id", sa.String(36), comment="a check-in seen after the check was judged missed"),
    sa.Column("late_at", UtcDateTime),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", name="fk_welfare_checks_case")),
    sa.Column("evaluated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("resident_key", "day", name="uq_welfare_checks_resident_day"),
    _one_of("status", WELFARE_CHECK_STATUSES, "ck_welfare_checks_status"),
    sa.Index("ix_welfare_checks_day", "day"),
    sa.Index("ix_welfare_checks_status", "status", "case_id"),
)

# -- the working calendar's local overrides (migration 0011): on top of the official mainland calendar ------------
calendar_days = sa.Table(
    "calendar_days", metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False, comment="workday: worked although the official calendar says "
                                                            "off; holiday: off although it says worked"),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    _one_of("kind", CALENDAR_DAY_KINDS, "ck_calendar_days_kind"),
)

# -- control-room operators: sign-in, sessions (migration 0006) -------------------------------------------------

operators = sa.Table(
    "operators", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(64), nullable=False, server_default=""),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("scope_code", sa.String(15), sa.ForeignKey("units.code", name="fk_operators_scope"), nullable=False,
              comment="sees and acts on this unit's subtree only"),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", name="fk_operators_person"),
              comment="the person whose name goes into case audit trails"),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UtcDateTime),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("password_changed_at", UtcDateTime, nullable=False),
    _one_of("role", OPERATOR_ROLES, "ck_operators_role"),
)

# Failed sign-ins per account and client address (migration 0010): a lock holds one address back, not the
# account, so an attacker cannot lock the real user out; client '*' counts every address (a slower, larger limit).
sign_in_throttle = sa.Table(
    "sign_in_throttle", metadata,
    sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id", name="fk_sign_in_throttle_operator"),
              primary_key=True),
    sa.Column("client", sa.String(64), primary_key=True, comment="client address ('*' = every address)"),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0",
              comment="wrong passwords since the last success or lock"),
    sa.Column("lockouts", sa.Integer, nullable=False, server_default="0",
              comment="locks in a row: each one lasts twice as long"),
    sa.Column("locked_until", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

operator_sessions = sa.Table(
    "operator_sessions", metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True, comment="the token itself is never stored"),
    sa.Column("operator_id", sa.String(36), sa.ForeignKey("operators.id", name="fk_operator_sessions_operator"),
              nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    sa.Index("ix_operator_sessions_operator", "operator_id"),
)

# -- device identity: enrolment, per-device broker credentials, revocation, flags (migration 0008) -------------
# (owned by the device-identity work, hub/devices/; keep this section's tables in step with 0008_device_credentials.py)

device_identities = sa.Table(
    "device_identities", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True, comment="also its broker account and client id"),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("password_hash", sa.String(200), comment="Mosquitto $7$ PBKDF2-SHA512; the password is never stored"),
    sa.Column("enroll_code_sha256", sa.String(64), unique=True, comment="one-time code, cleared when used"),
    sa.Column("enroll_expires_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("enrolled_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revoked_by", sa.String(64)),
    sa.Column("revoke_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    _one_of("state", DEVICE_IDENTITY_STATES, "ck_device_identities_state"),
)

# A device whose messages did not agree with its account (spoofed ids): kept until an admin clears it.
device_flags = sa.Table(
    "device_flags", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("count", sa.Integer, nullable=False, server_default="1"),
    sa.Column("first_at", UtcDateTime, nullable=False),
    sa.Column("last_at", UtcDateTime, nullable=False),
    sa.Column("last_dead_letter_id", sa.Integer, comment="the latest dead letter that raised it"),
    sa.Column("cleared_at", UtcDateTime, comment="an admin looked into it; a later flag sets it back to NULL"),
    sa.Column("cleared_by", sa.String(64)),
)

# -- access audit log and Open311 API keys (migration 0007) -------------------------------------------------------
# (owned by the sign-in work; keep this section's tables in step with 0007_access_audit.py)
# One row per state-changing API call and per read of personal data (photos, welfare, case detail), written
# after the response has gone out: who (operator or API key), what (method, route template, resource ids), when,
# from where and the outcome status. Append-only; nothing on the request path reads it.
access_log = sa.Table(
    "access_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, comment="when the request arrived"),
    sa.Column("operator_id", sa.String(36), comment="signed-in operator; NULL = anonymous or an API key"),
    sa.Column("api_key_id", sa.String(36), comment="Open311 client key, for its POSTs"),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("route", sa.String(200), nullable=False, comment="route template, e.g. /api/cases/{case_id}"),
    sa.Column("resource_ids", sa.JSON, nullable=False, comment="path parameters and ids the endpoint noted"),
    sa.Column("status", sa.Integer, nullable=False, comment="HTTP status of the response"),
    sa.Column("client_addr", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    sa.Index("ix_access_log_at", "at"),
    sa.Index("ix_access_log_operator_at", "operator_id", "at"),
)

# Keys an admin issues to Open311 clients (a city's 12345 hotline system, a WeChat mini-program backend) so they
# may POST service requests. Only the key's SHA-256 is kept: the key is 32 random bytes, shown once.
api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, comment="whose client this is"),
    sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(36), sa.ForeignKey("operators.id", name="fk_api_keys_operator"),
              nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

# -- 回访 follow-up after closing (migration 0014; owned by hub/followup/repo.py) ----------------------------------
# One row per closing of a case (round 1, 2 after a reopen and a new close ...): whom to ask (the reporter's card
# key, if they reported with a card), until when, and the answer. Grid / community / category are copied from the
# case at closing, so scope checks and the KPIs (回访率, 满意率) read this table alone.
case_followups = sa.Table(
    "case_followups", metadata,
    sa.Column("id", sa.String(48), primary_key=True, comment="{case_id}:{round}"),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("round", sa.Integer, nullable=False, comment="1 for the first closing, +1 after each reopen"),
    sa.Column("reference", sa.String(24)),
    sa.Column("grid_code", sa.String(15)),
    sa.Column("community_code", sa.String(15)),
    sa.Column("category_code", sa.String(16), nullable=False),
    sa.Column("title", sa.String(128), nullable=False, server_default=""),
    sa.Column("resident_key", sa.String(64), comment="the reporter's card key (kiosk report with a card tap)"),
    sa.Column("state", sa.String(12), nullable=False, comment="pending | answered | not_reached | skipped"),
    sa.Column("closed_at", UtcDateTime, nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False, comment="closed_at + window (wall clock)"),
    sa.Column("prompted_at", UtcDateTime, comment="prompts queued to the community's kiosks"),
    sa.Column("withdrawn_at", UtcDateTime, comment="prompts taken back from the kiosks"),
    sa.Column("answer", sa.String(20), comment="satisfied | basically_satisfied | dissatisfied"),
    sa.Column("channel", sa.String(8), comment="kiosk | lookup | call"),
    sa.Column("answered_at", UtcDateTime),
    sa.Column("answered_by", sa.String(64), comment="the kiosk's device id, or the calling operator's person"),
    sa.Column("operator_id", sa.String(36)),
    sa.Column("answer_record_id", sa.String(36), comment="the followup uplink record that answered"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0", comment="calls logged (未联系上 too)"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("case_id", "round", name="uq_case_followups_round"),
    sa.Index("ix_case_followups_state_due", "state", "due_at"),
    sa.Index("ix_case_followups_closed", "closed_at"),
)

# Each stored followup uplink record, once handled: applied (it answered) or why it was ignored.
followup_answer_outcomes = sa.Table(
    "followup_answer_outcomes", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36)),
    sa.Column("outcome", sa.String(24), nullable=False, comment="applied | already_answered | not_awaiting | ..."),
    sa.Column("at", UtcDateTime, nullable=False),
)

# -- notices (居务公开, migration 0013; owned by hub/notices/repo.py) ------------------------------------------------
# A notice's current picture (which version, whom it targets, when it shows, whether withdrawn); every version's
# content stays in notice_versions; notice_deliveries names each downlink queued for a kiosk (publish or withdraw
# of one version), whose delivered/read confirmations live on the downlink itself.

notices = sa.Table(
    "notices", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, comment="the current version (notice_versions)"),
    sa.Column("category", sa.String(24), nullable=False),
    sa.Column("title", sa.String(128), nullable=False),
    sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("target_code", sa.String(15), sa.ForeignKey("units.code", name="fk_notices_target"), nullable=False,
              comment="a grid, a community, or a unit whose every kiosk below is targeted"),
    sa.Column("publish_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=False, comment="operator id"),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("withdrawn_at", UtcDateTime),
    sa.Column("withdrawn_by", sa.String(36), comment="operator id"),
    sa.Index("ix_notices_live", "withdrawn_at", "publish_at"),
    sa.Index("ix_notices_target", "target_code"),
)

notice_versions = sa.Table(
    "notice_versions", metadata,
    sa.Column("notice_id", sa.String(36), sa.ForeignKey("notices.id", name="fk_notice_versions_notice"),
              primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("category", sa.String(24), nullable=False),
    sa.Column("title", sa.String(128), nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("target_code", sa.String(15), nullable=False),
    sa.Column("publish_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("images", sa.Text, nullable=False, server_default="[]", comment="JSON [{sha256, jpeg_b64}]"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=False, comment="operator id"),
)

notice_deliveries = sa.Table(
    "notice_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notice_id", sa.String(36), sa.ForeignKey("notices.id", name="fk_notice_deliveries_notice"),
              nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("downlink_id", sa.String(36), nullable=False),
    sa.Column("queued_at", UtcDateTime, nullable=False),
    _one_of("action", ("publish", "withdraw"), "ck_notice_deliveries_action"),
    sa.UniqueConstraint("notice_id", "version", "device_id", "action", name="uq_notice_deliveries_once"),
    sa.Index("ix_notice_deliveries_device", "device_id"),
)

# -- 议事 deliberation (migration 0015) ------------------------------------------------------------------------------
# (owned by hub/deliberation/repo.py; keep this section's tables in step with 0015_deliberation.py)
# A topic the control room opens for the kiosks of a unit's subtree, with an optional vote.
deliberation_topics = sa.Table(
    "deliberation_topics", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("unit_code", sa.String(15), nullable=False, comment="the kiosks of this unit's subtree show it"),
    sa.Column("version", sa.Integer, nullable=False, comment="bumped whenever the kiosks' picture changes"),
    sa.Column("state", sa.String(16), nullable=False, comment="open | closed | withdrawn"),
    sa.Column("title", sa.String(128), nullable=False),
    sa.Column("background", sa.Text, nullable=False, server_default=""),
    sa.Column("images", sa.JSON, nullable=False, comment="sha256 of attached photos"),
    sa.Column("comments_until", UtcDateTime, nullable=False),
    sa.Column("vote", sa.JSON, comment="{options, eligibility, changes_allowed, closes_at}; NULL: no vote"),
    sa.Column("representatives", sa.JSON, comment="resident keys (keyed hashes) of the representatives"),
    sa.Column("eligible_count", sa.Integer, comment="cards that may vote, when known"),
    sa.Column("vote_closed_at", UtcDateTime),
    sa.Column("resolution", sa.Text, nullable=False, server_default=""),
    sa.Column("notice_id", sa.String(64), comment="a notice (居务公开) publishing the resolution"),
    sa.Column("created_by", sa.String(36), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_deliberation_topics_unit", "unit_code"),
)

# Every comment record, private until an operator approves it for the public.
topic_comments = sa.Table(
    "topic_comments", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("topic_id", sa.String(36), nullable=False),
    sa.Column("resident_key", sa.String(64), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("made_at", UtcDateTime, nullable=False, comment="device time"),
    sa.Column("state", sa.String(16), nullable=False, comment="pending | approved | rejected | late | invalid"),
    sa.Column("moderated_by", sa.String(36)),
    sa.Column("moderated_at", UtcDateTime),
    sa.Index("ix_topic_comments_topic_state", "topic_id", "state"),
)

# Every vote record as processed (the audit: kept, already voted, displaced, superseded by a change, refused) and
# what its kiosk was last told.
votes = sa.Table(
    "votes", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("topic_id", sa.String(36), nullable=False),
    sa.Column("resident_key", sa.String(64), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("option", sa.String(16), nullable=False),
    sa.Column("device_time", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False,
              comment="kept | already_voted | displaced | superseded | closed | not_eligible | invalid"),
    sa.Column("answered", sa.String(16), comment="the VoteAnswer status last queued for the kiosk"),
    sa.Column("processed_at", UtcDateTime, nullable=False),
    sa.Index("ix_votes_card", "topic_id", "resident_key"),
)

# The one counted vote per (topic, card): the unique key makes the tally exact without locks across hub workers.
kept_votes = sa.Table(
    "kept_votes", metadata,
    sa.Column("topic_id", sa.String(36), primary_key=True),
    sa.Column("resident_key", sa.String(64), primary_key=True),
    sa.Column("record_id", sa.String(36), nullable=False),
    sa.Column("option", sa.String(16), nullable=False),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("device_time", UtcDateTime, nullable=False),
)

# -- administration in the browser (issue 20, migration 0019) -------------------------------------------------
# A person taken off duty (停用): kept for the trails and names, but sent no new task and offered to nobody.
people_inactive = sa.Table(
    "people_inactive", metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("since", UtcDateTime, nullable=False),
    sa.Column("by_operator", sa.String(36), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False, server_default=""),
)

# Each replay of a dead letter by an admin and what the normal ingest path made of it.
dead_letter_replays = sa.Table(
    "dead_letter_replays", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dead_letter_id", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("by_operator", sa.String(36), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False, comment="stored | duplicate | conflict | dead | nothing"),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("new_dead_letter_id", sa.Integer, comment="the dead letter the replay made, when refused again"),
    sa.Index("ix_dead_letter_replays_letter", "dead_letter_id"),
)

# -- watch and patrol (migration 0018, issue 19): helpers' observations and false alarms of the 1+1+N watch --------
# (owned by hub/welfare/observations_repo.py; keep in step with 0018_watch_patrol.py)

# Every HelperObservation record as taken by the watch (one row per record: taken once), by local day of the time
# that counts (device time, or the receive time when the device clock ran ahead). ``note`` is private.
welfare_observations = sa.Table(
    "welfare_observations", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("person_id", sa.String(64), comment="the person the device is bound to, when known"),
    sa.Column("resident_key", sa.String(64), nullable=False),
    sa.Column("enrolment_id", sa.String(36), comment="NULL: the resident is not enrolled (kept, not counted)"),
    sa.Column("day", sa.Date, nullable=False, comment="local date of counted_at"),
    sa.Column("observed_at", UtcDateTime, nullable=False, comment="device time"),
    sa.Column("counted_at", UtcDateTime, nullable=False, comment="min(device time, receive time + tolerance)"),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("verdict", sa.String(12), nullable=False, comment="safe | abnormal"),
    sa.Column("via", sa.String(12), nullable=False, comment="helper | patrol"),
    sa.Column("signs", sa.JSON, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default="", comment="private"),
    sa.Column("case_id", sa.String(36), comment="the welfare case an abnormal observation opened"),
    sa.Column("taken_at", UtcDateTime, nullable=False),
    sa.Index("ix_welfare_observations_resident_day", "resident_key", "day"),
    sa.Index("ix_welfare_observations_day", "day"),
)

# A false alarm closed by staff (e.g. the resident was away at a daughter's): why, until when away, which cases.
welfare_false_alarms = sa.Table(
    "welfare_false_alarms", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("enrolment_id", sa.String(36), nullable=False),
    sa.Column("resident_key", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("away_until", sa.Date, comment="the watch paused through this local day"),
    sa.Column("case_ids", sa.JSON, nullable=False, comment="the cases this closing answered"),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Index("ix_welfare_false_alarms_resident_day", "resident_key", "day"),
)

# -- patrol checkpoints and sessions (migration 0018, issue 19; owned by hub/patrols/repo.py) ------------------------
patrol_checkpoints = sa.Table(
    "patrol_checkpoints", metadata,
    sa.Column("id", sa.String(36), primary_key=True, comment="also in the printed QR: GLCP:{id}"),
    sa.Column("grid_code", sa.String(18), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("radius_m", sa.Float, nullable=False),
    sa.Column("checklist", sa.JSON, nullable=False, comment="[{code, text, text_en, category}]"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_patrol_checkpoints_grid", "grid_code"),
)

patrol_routes = sa.Table(
    "patrol_routes", metadata,
    sa.Column("grid_code", sa.String(18), primary_key=True, comment="one route per grid (optional)"),
    sa.Column("checkpoint_ids", sa.JSON, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# Every CheckpointVisit record as taken (one row per record).
checkpoint_visits = sa.Table(
    "checkpoint_visits", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("checkpoint_id", sa.String(36), nullable=False),
    sa.Column("grid_code", sa.String(18), comment="the checkpoint's grid; NULL: unknown checkpoint"),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("person_id", sa.String(64)),
    sa.Column("visited_at", UtcDateTime, nullable=False, comment="device time"),
    sa.Column("distance_m", sa.Float, comment="from the checkpoint; NULL: no fix"),
    sa.Column("within_radius", sa.Boolean, nullable=False),
    sa.Column("failed_items", sa.JSON, nullable=False),
    sa.Column("report_ids", sa.JSON, nullable=False),
    sa.Column("patrol_started_at", UtcDateTime),
    sa.Column("taken_at", UtcDateTime, nullable=False),
    sa.Index("ix_checkpoint_visits_grid_time", "grid_code", "visited_at"),
    sa.Index("ix_checkpoint_visits_device_time", "device_id", "visited_at"),
)

# Every PatrolLog record as taken: the session, its checkpoints and the half-hour units it earned.
patrol_sessions = sa.Table(
    "patrol_sessions", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("person_id", sa.String(64)),
    sa.Column("grid_code", sa.String(18)),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=False),
    sa.Column("distance_m", sa.Float, nullable=False),
    sa.Column("fixes", sa.Integer, nullable=False),
    sa.Column("checkpoint_ids", sa.JSON, nullable=False, comment="visited within radius during the session"),
    sa.Column("units", sa.Integer, nullable=False, comment="half-hour units credited"),
    sa.Column("taken_at", UtcDateTime, nullable=False),
    sa.Index("ix_patrol_sessions_grid_time", "grid_code", "started_at"),
)

# -- volunteer-hour ledger (migration 0018, issue 19; owned by hub/volunteers/repo.py) -------------------------------
# Half-hour units: system (信用时, from patrol sessions), certified (荣誉时, an organiser's, with a reason),
# redemption (兑换, negative, by an operator). No ranking is ever computed from it.
volunteer_hours = sa.Table(
    "volunteer_hours", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("person_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False, comment="system | certified | redemption"),
    sa.Column("units", sa.Integer, nullable=False, comment="half hours; negative for a redemption"),
    sa.Column("source_id", sa.String(36), unique=True, comment="the patrol session of a system entry"),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_volunteer_hours_person", "person_id", "at"),
)

# -- community services (issue 18, migration 0017): service requests, disputes, home visits (hub/services/repo.py) ----
# Which role takes a unit's service requests of one kind (legal / mediation / repair / other); the nearest unit up
# the chain with a row decides; NULL role: the control room. Without any row the defaults of hub/services/routing.py.
service_routes = sa.Table(
    "service_routes", metadata,
    sa.Column("unit_code", sa.String(18), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("role", sa.String(20), comment="people.role that takes it; NULL: the control room"),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(36), nullable=False, server_default=""),
)
# Every service case (a case with a service kind): where it came from (a kiosk check-in or a home visit's need),
# whom it was routed to, and its outcome (调解成功 / 转办 / 诉讼 / 撤回 ...).
service_requests = sa.Table(
    "service_requests", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False, comment="legal | mediation | repair | welfare | other"),
    sa.Column("origin", sa.String(8), nullable=False, comment="kiosk | visit | api"),
    sa.Column("source_id", sa.String(36), nullable=False, unique=True,
              comment="the check-in record id, or the visit id + need index"),
    sa.Column("visit_id", sa.String(36), comment="the home visit whose need this is"),
    sa.Column("unit_code", sa.String(18), comment="the kiosk's / visit's unit (grid or building)"),
    sa.Column("community_code", sa.String(18)),
    sa.Column("need_level", sa.String(12), comment="who must solve it: grid | community | street"),
    sa.Column("routed_role", sa.String(20), comment="NULL: the control room"),
    sa.Column("routed_to", sa.String(64), comment="the person dispatched at opening; NULL: waits for the control room"),
    sa.Column("resident_key", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("outcome", sa.String(16)),
    sa.Column("outcome_at", UtcDateTime),
    sa.Column("outcome_by", sa.String(64)),
    sa.Index("ix_service_requests_visit", "visit_id"),
    sa.Index("ix_service_requests_kind_created", "kind", "created_at"),
)
# One row per kiosk check-in looked at by the service intake (opened a case, or was no service request).
service_checkins = sa.Table(
    "service_checkins", metadata,
    sa.Column("record_id", sa.String(36), primary_key=True),
    sa.Column("outcome", sa.String(16), nullable=False, comment="opened | not_service | unreadable"),
    sa.Column("case_id", sa.String(36)),
    sa.Column("at", UtcDateTime, nullable=False),
)
# The assessment criteria that set a dispute's seriousness colour (admin-edited data).
dispute_criteria = sa.Table(
    "dispute_criteria", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("colour", sa.String(6), nullable=False),
    sa.Column("label_zh", sa.String(128), nullable=False),
    sa.Column("label_en", sa.String(256), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    _one_of("colour", CASE_LEVELS, "ck_dispute_criteria_colour"),
)
# The plan (预案) per seriousness colour: who leads, who is informed, visit interval, time limit, escalation.
dispute_plans = sa.Table(
    "dispute_plans", metadata,
    sa.Column("colour", sa.String(6), primary_key=True),
    sa.Column("lead_role", sa.String(20), nullable=False),
    sa.Column("informed_roles", sa.JSON, nullable=False),
    sa.Column("visit_interval_days", sa.Integer, nullable=False),
    sa.Column("time_limit_days", sa.Integer, nullable=False),
    sa.Column("escalate_to", sa.String(12), comment="unit level informed at once (community / street ...); NULL none"),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(36), nullable=False, server_default=""),
    _one_of("colour", CASE_LEVELS, "ck_dispute_plans_colour"),
)
# A dispute (矛盾纠纷) on its service case: parties (card keys or private text), type, assessment, colour, plan.
disputes = sa.Table(
    "disputes", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("dispute_type", sa.String(32), nullable=False),
    sa.Column("parties", sa.JSON, nullable=False, comment="[{resident_key} | {private: text}]: private"),
    sa.Column("criteria", sa.JSON, nullable=False, comment="ids of the dispute_criteria that hold"),
    sa.Column("colour", sa.String(6), nullable=False),
    sa.Column("lead", sa.String(64), comment="the person leading under the colour's plan"),
    sa.Column("informed", sa.JSON, nullable=False, comment="people informed under the plan"),
    sa.Column("visit_interval_days", sa.Integer, nullable=False),
    sa.Column("time_limit_days", sa.Integer, nullable=False),
    sa.Column("escalate_to", sa.String(12)),
    sa.Column("outcome", sa.String(16), comment="settled | transferred | litigation | withdrawn"),
    sa.Column("agreement", sa.Text, nullable=False, server_default="", comment="private"),
    sa.Column("outcome_at", UtcDateTime),
    sa.Column("followup_due_at", UtcDateTime, comment="30 days after a settlement: the follow-up visit"),
    sa.Column("followup_done_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    _one_of("colour", CASE_LEVELS, "ck_disputes_colour"),
)
# Every (re-)grading of a dispute, with its reason.
dispute_gradings = sa.Table(
    "dispute_gradings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("from_colour", sa.String(6)),
    sa.Column("to_colour", sa.String(6), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_dispute_gradings_case", "case_id"),
)
# A home visit (入户走访, 一表通): recorded once on a phone/tablet; its needs are service_requests rows.
home_visits = sa.Table(
    "home_visits", metadata,
    sa.Column("id", sa.String(36), primary_key=True, comment="the visit record's id"),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("worker", sa.String(64), comment="the phone's person"),
    sa.Column("grid_code", sa.String(18)),
    sa.Column("building_code", sa.String(18)),
    sa.Column("household_key", sa.String(64)),
    sa.Column("met", sa.String(32), nullable=False, server_default=""),
    sa.Column("private_note", sa.Text, nullable=False, server_default=""),
    sa.Column("needs", sa.Integer, nullable=False, server_default="0"),
    sa.Column("visited_at", UtcDateTime, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Index("ix_home_visits_grid_visited", "grid_code", "visited_at"),
)
