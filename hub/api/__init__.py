"""The hub's HTTP API, one module per resource.

Sign-in is applied once, here: every router in ``SIGNED_IN`` sits behind ``current_operator`` (401 without
a live session), and the routes add role checks (viewers read only; admin-only resources) and scope
checks (an operator sees their unit's subtree; anything else is 404). Only health and the sign-in route
itself are public. A new module goes into ``SIGNED_IN`` - tests/hub/api/test_access.py walks the OpenAPI
schema, so a route added anywhere else without a reason fails it.
"""
import functools

from fastapi import APIRouter, Depends

from hub.api import (
    access_log,
    alarms,
    api_keys,
    assignees,
    auth,
    calendar,
    case_intake,
    case_publication,
    cases,
    categories,
    dead_letters,
    deliberation,
    density,
    device_admin,
    device_photos,
    devices,
    enroll,
    followups,
    health,
    kpis,
    ledger,
    live,
    map,
    messages,
    notices,
    operators,
    patrol_points,
    patrols,
    people,
    photos,
    records,
    services,
    sign_in_locks,
    triage,
    units_admin,
    volunteers,
    welfare,
)
from hub.auth.http import current_operator
from hub.open311.router import router as open311_router  # app.py mounts it at /open311/v2

__all__ = ["SIGNED_IN", "api_router", "open311_router"]

SIGNED_IN: tuple[APIRouter, ...] = (
    auth.router, devices.router, messages.router, records.router, photos.router, dead_letters.router, cases.router,
    case_publication.router,  # what Open311 publishes of a case (an operator-approved description)
    kpis.router, welfare.router, operators.router, api_keys.router, access_log.router,
    sign_in_locks.router,  # admins: an account's sign-in locks, and lifting them
    device_admin.router,  # device identity
    units_admin.router,  # admins: the unit tree, grid outlines (overlaps/gaps), GeoJSON import/export
    live.router, map.router,  # control-room dashboard: live stream (SSE) + feed, map layers
    triage.router, case_intake.router,  # 待研判 (file / merge / reject); cases the control room takes in (calls)
    alarms.router, assignees.router,  # urgent alarms and their acknowledgement; who a case can go to
    categories.router,  # the taxonomy's names for the dashboard's pickers
    calendar.router,  # admins: the working calendar's holidays, make-up days and local overrides
    patrols.router,  # the tablets' finished patrols (read-only)
    deliberation.router,  # 议事: topics, comment moderation, tallies (one vote per card), closing a vote
    notices.router,  # 居务公开: notices to the kiosks of a unit, versions, withdrawal, delivery counts
    followups.router,  # 回访: queue, operators' calls, kiosk answers, 回访率 / 满意率
    ledger.router,  # 案件台账: the case list's filter as xlsx / CSV
    density.router,  # the map's report density layer (case positions per cell, in scope)
    people.router,  # admins: people and roles in their subtree, bound to units and phones (issue 20)
    services.router,  # 服务: service queues per role, dispute register (三色预警 + 预案), visit diary (issue 18)
    patrol_points.router, volunteers.router,  # 巡查点 (checkpoints, sessions, coverage), hour ledger (issue 19)
)


@functools.cache
def api_router() -> APIRouter:
    """The whole /api router, built once per process: including a router without a prefix makes FastAPI resolve
    every route of it (dependencies, models), which building it afresh for each app repeated (an app with its first
    requests: 324 -> 111 ms of CPU, 60 apps in one process; tests build hundreds). Nothing in it depends on the app:
    state is read from ``request.app.state`` at request time."""
    router = APIRouter()
    router.include_router(health.router)
    router.include_router(auth.public_router)  # POST /auth/login
    router.include_router(enroll.router)  # POST /enroll: a device's one-time code is its proof; rate-limited
    router.include_router(device_photos.router)  # GET /device/photos/{sha}: the device's own credentials
    signed_in = APIRouter(dependencies=[Depends(current_operator)])
    for module_router in SIGNED_IN:
        signed_in.include_router(module_router)
    router.include_router(signed_in)
    return router
