"""The value sets the schema's CHECK constraints enforce (roles, kinds, states, levels): shared vocabulary that
any module may import, unlike the tables themselves (``tables.py``), which only their owners read."""
from __future__ import annotations

UNIT_LEVELS = ("city", "district", "street", "community", "grid", "building")  # 楼栋 below the grid (0016)
PERSON_ROLES = ("grid_leader", "grid_worker", "patrol_volunteer", "dispatcher", "supervisor", "handler",
                # 0016: 楼长, 法律顾问, 调解员, 物业, 1+1+N helper, 部门联系人, community / street staff
                "building_head", "legal_adviser", "mediator", "property_contact", "helper", "department_contact",
                "community_staff", "community_secretary", "committee_member", "street_staff")
DEVICE_KINDS = ("kiosk", "tablet", "phone")
CATEGORY_KINDS = ("component", "event")  # 部件 / 事件 (CJ/T 214)
TIME_LIMIT_UNITS = ("working_hours", "working_days")
CASE_STATES = ("reported", "filed", "not_filed", "dispatched", "accepted", "arrived", "resolved", "verified",
               "closed", "suspended")
CASE_LEVELS = ("blue", "yellow", "red")
EVENT_ORIGINS = ("api", "device", "system")
EVENT_OUTCOMES = ("applied", "rejected")
TASK_ROLES = ("handler", "verifier", "informed")
ACTION_OUTCOMES = ("applied", "rejected", "dead")
WELFARE_CHECK_STATUSES = ("checked_in", "missed")
OPERATOR_ROLES = ("admin", "dispatcher", "supervisor", "viewer")
DEVICE_IDENTITY_STATES = ("pending", "active", "revoked")
CASE_SOURCES = ("device", "open311", "phone", "walk_in", "hotline", "patrol", "system")  # where a case came from
CALENDAR_DAY_KINDS = ("workday", "holiday")  # a local override of the official calendar
SEVERITIES = ("low", "normal", "high", "urgent")  # a report's urgency (protocol Severity)
