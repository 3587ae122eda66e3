"""志愿服务时长: the volunteer-hour ledger in half-hour units - balances per volunteer of the operator's subtree (by
person, never ranked), one volunteer's entries, 荣誉时 certified by an organiser with a reason, 兑换 recorded by an
operator, and the ledger as xlsx / CSV. Acting needs a linked person of an organiser role."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.api.office import Column, csv_bytes, xlsx_bytes
from hub.auth.http import ActingOperatorDep, ScopeDep, acting_person_id
from hub.patrols.job import send_balance
from hub.volunteers.ledger import Ledger, LedgerError

router = APIRouter(prefix="/volunteers", tags=["volunteers"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BalanceOut(BaseModel):
    person_id: str
    name: str
    role: str
    system_units: int = Field(description="信用时, half hours")
    certified_units: int = Field(description="荣誉时, half hours")
    redeemed_units: int = Field(description="兑换, half hours")
    balance_units: int
    balance_hours: float


class EntryOut(BaseModel):
    id: str
    person_id: str
    kind: Literal["system", "certified", "redemption"]
    units: int
    source_id: str | None
    reason: str
    recorded_by: str
    at: datetime


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: int = Field(ge=1, le=336, description="half hours")
    reason: str = Field(min_length=1, max_length=500, examples=["社区消防演练志愿服务"])


def _ledger(store) -> Ledger:
    return Ledger(store, clock=store.clock)


def _balances(store, scope, unit: str | None) -> list[BalanceOut]:
    visible, under = scope.visible_part(unit)
    if not visible:
        return []
    ledger = _ledger(store)
    people = ledger.volunteers_in(under)
    found = {b.person_id: b for b in ledger.balances([p for p, _, _ in people])}
    return [BalanceOut(person_id=p, name=name, role=role, system_units=found[p].system_units,
                       certified_units=found[p].certified_units, redeemed_units=found[p].redeemed_units,
                       balance_units=found[p].balance_units, balance_hours=found[p].balance_units / 2)
            for p, name, role in people]


@router.get("/hours", response_model=list[BalanceOut])
def balances(store: StoreDep, scope: ScopeDep,
             unit: Annotated[str | None, Query(description="a unit in your scope")] = None) -> list[BalanceOut]:
    """Each volunteer's balance, by unit and person (no ranking: never sorted by hours)."""
    return _balances(store, scope, unit)


@router.get("/hours/export", response_class=Response,
            responses={200: {"content": {XLSX: {}, "text/csv": {}}, "description": "the balances as a ledger"}})
def export_hours(request: Request, store: StoreDep, scope: ScopeDep, unit: str | None = None,
                 format: Literal["xlsx", "csv"] = "xlsx") -> Response:
    zone = ZoneInfo(request.app.state.settings.time_zone)
    columns = [Column("人员编号 person", text=True), Column("姓名 name"), Column("角色 role", text=True),
               Column("信用时 system h"), Column("荣誉时 certified h"), Column("兑换 redeemed h"),
               Column("余额 balance h")]
    rows = [[b.person_id, b.name, b.role, b.system_units / 2, b.certified_units / 2, b.redeemed_units / 2,
             b.balance_hours] for b in _balances(store, scope, unit)]
    body = xlsx_bytes("志愿服务时长", columns, rows, zone) if format == "xlsx" else csv_bytes(columns, rows, zone)
    name = f"志愿服务时长_{datetime.now(zone):%Y%m%d-%H%M}.{format}"
    return Response(body, media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"hours.{format}\"; filename*=UTF-8''{quote(name)}"})


def _person(scope, person_id: str) -> None:
    if scope.person(person_id) is None:
        raise HTTPException(404, f"no person {person_id}")


@router.get("/{person_id}/hours", response_model=list[EntryOut])
def entries(person_id: str, store: StoreDep, scope: ScopeDep) -> list[EntryOut]:
    _person(scope, person_id)
    return [EntryOut(**e) for e in _ledger(store).entries([person_id])]


def _record(request: Request, store, scope, operator, person_id: str, body: EntryIn, kind: str) -> EntryOut:
    actor = acting_person_id(operator)
    _person(scope, person_id)
    ledger = _ledger(store)
    try:
        row = ledger.certify(person_id, body.units, body.reason, actor) if kind == "certified" \
            else ledger.redeem(person_id, body.units, body.reason, actor)
    except LedgerError as bad:
        zh, _, en = str(bad).partition(" / ")
        raise HTTPException(422, detail={"code": "bad_hours", "zh": zh, "en": en or zh}) from None
    send_balance(store, ledger, person_id, store.clock())  # the bridge's maintenance sends it
    return EntryOut(**row)


@router.post("/{person_id}/certified", status_code=201, response_model=EntryOut)
def certify(person_id: str, body: EntryIn, request: Request, store: StoreDep, scope: ScopeDep,
            operator: ActingOperatorDep) -> EntryOut:
    """荣誉时: an organiser adds certified hours with a reason."""
    return _record(request, store, scope, operator, person_id, body, "certified")


@router.post("/{person_id}/redemptions", status_code=201, response_model=EntryOut)
def redeem(person_id: str, body: EntryIn, request: Request, store: StoreDep, scope: ScopeDep,
           operator: ActingOperatorDep) -> EntryOut:
    """兑换: an operator records hours exchanged (爱心银行), never beyond the balance."""
    return _record(request, store, scope, operator, person_id, body, "redemption")
