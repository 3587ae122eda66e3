"""What the public sees of a case (Open311 ``description``): an operator approves the text to publish.

Without an approved text Open311 publishes the report's own text with phone numbers, ID numbers, plates and
e-mail addresses masked (:mod:`hub.open311.redact`); an operator who has read the report can replace it with a
text written for the public - or with an empty one, to publish no description at all - and take it back
(``text: null``: the redacted report text again). Acting roles only, within their scope (outside it: 404);
the access log records every call, as it does every state-changing one.
"""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import StoreDep
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.auth.scope import OperatorScope
from hub.cases import repo as case_repo
from hub.cases.rows import CaseRow
from hub.open311.facade import Open311Facade
from hub.open311.redact import find
from hub.store import HubStore
from protocol import MAX_NOTE_CHARS

router = APIRouter(prefix="/cases", tags=["cases"])


class PublicNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(max_length=MAX_NOTE_CHARS, description="the description to publish, as approved; "
                             "empty = publish none; null = publish the report's text redacted again",
                             examples=["3号楼前垃圾箱满溢，已通知环卫清运"])


class PublicNoteOut(BaseModel):
    case_id: str
    public_note: str | None = Field(description="the approved text (null: none approved)")
    public_note_by: str | None = Field(description="the operator who approved it")
    public_note_at: datetime | None
    published: str = Field(description="what Open311 publishes as the description now")
    identifiers: list[str] = Field(default_factory=list, description="kinds of identifier the redactor sees in the "
                                   "approved text (phone, id_number, plate, email): published as approved all the "
                                   "same - a hotline or an office number may be meant - so check before approving")


def _case(store: HubStore, case_id: str, scope: OperatorScope) -> CaseRow:
    with store.read() as conn:
        case = case_repo.case(conn, case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    scope.require_case(case)
    return case


def _out(case: CaseRow) -> PublicNoteOut:
    seen = sorted({f.kind for f in find(case.public_note)}) if case.public_note else []
    return PublicNoteOut(case_id=case.id, public_note=case.public_note, public_note_by=case.public_note_by,
                         public_note_at=case.public_note_at, published=Open311Facade.public_description(case),
                         identifiers=seen)


@router.get("/{case_id}/public-note", response_model=PublicNoteOut,
            responses={404: {"description": "no such case (or outside your scope)"}})
def get_public_note(case_id: str, store: StoreDep, scope: ScopeDep) -> PublicNoteOut:
    """The approved public text, if any, and what Open311 publishes now."""
    return _out(_case(store, case_id, scope))


@router.put("/{case_id}/public-note", response_model=PublicNoteOut,
            responses={404: {"description": "no such case (or outside your scope)"}})
def put_public_note(case_id: str, body: PublicNoteIn, operator: ActingOperatorDep, store: StoreDep,
                    scope: ScopeDep) -> PublicNoteOut:
    """Approve the text Open311 publishes for the case (``null``: back to the report's text, redacted)."""
    _case(store, case_id, scope)
    text = body.text.strip() if body.text is not None else None
    with store.write() as conn:
        if not case_repo.set_public_note(conn, case_id, text, operator.id, store.clock()):
            raise HTTPException(404, f"no case {case_id}")
    return _out(_case(store, case_id, scope))
