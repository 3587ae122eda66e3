"""The case list's filters as one dependency, shared by the list (``GET /api/cases``) and the ledger export
(``GET /api/ledger/cases``): a filter means the same wherever a case list is read."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import AwareDatetime

from hub.cases import views_repo
from hub.store.vocabulary import CASE_LEVELS, CASE_SOURCES, CASE_STATES

# The values come from the one vocabulary (hub/store/vocabulary.py); FastAPI checks them at run time.
CaseStateName = Literal[CASE_STATES]  # type: ignore[valid-type]
CaseLevelName = Literal[CASE_LEVELS]  # type: ignore[valid-type]
CaseSourceName = Literal[CASE_SOURCES]  # type: ignore[valid-type]


def case_query(
    q: Annotated[str | None, Query(max_length=100, description="a reference (FS-20261204-0042, dashes optional), "
                                   "the kiosk's receipt code (编号 899de7), a case or record id, or words of the "
                                   "title or note; taken literally (% _ \\ are no wildcards)")] = None,
    state: Annotated[list[CaseStateName] | None, Query()] = None,
    level: Annotated[list[CaseLevelName] | None, Query()] = None,
    unit: Annotated[str | None, Query(max_length=32, description="grid / community / street / ... code: its whole "
                                      "subtree")] = None,
    category: Annotated[list[str] | None, Query(description="category code; repeat for several")] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="person id")] = None,
    device: Annotated[str | None, Query(max_length=64, description="the reporter device: cases opened from its "
                                        "reports")] = None,
    source: Annotated[list[CaseSourceName] | None, Query()] = None,
    created_from: Annotated[AwareDatetime | None, Query(description="created at or after (with a time zone)")] = None,
    created_to: Annotated[AwareDatetime | None, Query(description="created before (with a time zone)")] = None,
    overdue: bool | None = None,
    flagged: Annotated[bool | None, Query(description="flagged for an operator to confirm routing/category")] = None,
) -> views_repo.CaseQuery:
    return views_repo.CaseQuery(q=q, state=state or (), level=level or (), unit=unit, category=category or (),
                                assignee=assignee, device=device, source=source or (), created_from=created_from,
                                created_to=created_to, overdue=overdue, flagged=flagged)


CaseQueryDep = Annotated[views_repo.CaseQuery, Depends(case_query)]
