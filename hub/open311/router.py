"""Open311 GeoReport v2 endpoints under ``/open311/v2``: ``.json`` or ``.xml`` on every resource, errors
in the spec's own format. Parameters are read by hand (not FastAPI validation) so that a bad one gets
an Open311 error a 311 client understands, not a FastAPI 422."""
from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.auth.api_keys import ApiKeyRegistry
from hub.jobs.wakeup import ring_jobs
from hub.open311.facade import Open311Facade
from hub.open311.formats import FORMATS, Open311Error, error, parse_w3, render, render_one

router = APIRouter(prefix="/open311/v2", tags=["open311"])


def _facade(request: Request) -> Open311Facade:
    # The running intake (routing cache included) when the app has one: POSTs take the very same path.
    return Open311Facade(request.app.state.store, intake=getattr(request.app.state, "intake", None))


async def _answer(fmt: str, produce: Callable[[], Response]) -> Response:
    if fmt not in FORMATS:
        return error(404, f"unsupported format {fmt!r}; use json or xml")
    try:
        return await run_in_threadpool(produce)
    except Open311Error as exc:
        return error(exc.status, exc.description, fmt)


def _csv(value: str | None) -> list[str] | None:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def _date(params, name: str):
    return parse_w3(params[name], name) if params.get(name) else None


@router.get("/services.{fmt}", summary="GET Service List")
async def services(fmt: str, request: Request) -> Response:
    return await _answer(fmt, lambda: render(_facade(request).services(), fmt, "services", "service"))


@router.get("/services/{code}.{fmt}", summary="GET Service Definition")
async def service_definition(code: str, fmt: str, request: Request) -> Response:
    return await _answer(fmt, lambda: render_one(_facade(request).service_definition(code), fmt,
                                                 "service_definition"))


@router.get("/requests.{fmt}", summary="GET Service Requests")
async def list_requests(fmt: str, request: Request) -> Response:
    params = request.query_params

    def produce() -> Response:
        statuses = _csv(params.get("status"))
        if statuses and set(statuses) - {"open", "closed"}:
            raise Open311Error(400, "status must be open and/or closed")
        found = _facade(request).requests(ids=_csv(params.get("service_request_id")),
                                          service_codes=_csv(params.get("service_code")),
                                          start=_date(params, "start_date"), end=_date(params, "end_date"),
                                          statuses=statuses)
        return render(found, fmt, "service_requests", "request")

    return await _answer(fmt, produce)


@router.get("/requests/{request_id}.{fmt}", summary="GET Service Request")
async def get_request(request_id: str, fmt: str, request: Request) -> Response:
    return await _answer(fmt, lambda: render([_facade(request).request(request_id)], fmt, "service_requests",
                                             "request"))


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token")
async def get_token(token: str, fmt: str, request: Request) -> Response:
    return await _answer(fmt, lambda: render([_facade(request).token(token)], fmt, "service_requests", "request"))


@router.get("/servicerequestupdates.{fmt}", summary="GET Service Request Updates (FixMyStreet extension)")
async def request_updates(fmt: str, request: Request) -> Response:
    params = request.query_params
    return await _answer(fmt, lambda: render(
        _facade(request).updates(start=_date(params, "start_date"), end=_date(params, "end_date"),
                                 ids=_csv(params.get("service_request_id"))),
        fmt, "service_request_updates", "request_update"))


async def _form(request: Request) -> dict[str, str]:
    """Query string plus an x-www-form-urlencoded (the spec's) or JSON body; the body wins."""
    params = dict(request.query_params)
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body:
        return params
    if kind == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise Open311Error(400, "malformed JSON body") from None
        if not isinstance(data, dict):
            raise Open311Error(400, "the JSON body must be an object")
        params.update({k: str(v) for k, v in data.items() if v is not None})
    else:
        raise Open311Error(400, "send the request as application/x-www-form-urlencoded")
    return params


@router.post("/requests.{fmt}", summary="POST Service Request")
async def post_request(fmt: str, request: Request) -> Response:
    """Needs the spec's ``api_key``: one an admin issued (``POST /api/open311-keys``); else 403."""
    try:
        params = await _form(request)
    except Open311Error as exc:
        return error(exc.status, exc.description, fmt)
    store = request.app.state.store
    key = await run_in_threadpool(ApiKeyRegistry(store, clock=store.clock).check, params.pop("api_key", None))
    if key is None:
        return error(403, "api_key missing, unknown or revoked: ask the hub's admin for one", fmt)
    request.state.api_key_id = key.id  # the access log names the client system behind the request

    def produce() -> Response:
        posted = _facade(request).post_request(params)
        # A case opened here: the dispatcher informs its grid now; else the stored report awaits intake.
        ring_jobs(request.app.state, "dispatch" if posted.service_request_id else "intake")
        entry = {"service_request_id": posted.service_request_id, "service_notice": posted.notice,
                 "account_id": None}
        if posted.service_request_id is None:
            entry = {"token": posted.token, "service_notice": posted.notice}
        return render([entry], fmt, "service_requests", "request")

    return await _answer(fmt, produce)
