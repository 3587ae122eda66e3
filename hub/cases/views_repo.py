"""Read models over the case tables for the people who look at them: the dashboard's case list, map and live
feed, and the public Open311 facade. Joins with other domains go through their owners' views
(``hub.org.repo.category_names_view``, ``person_names_view``, ``unit_subtree``; ``hub.store.records.payload_view``).

Scope is a set of units (``scope_units``: a ``SELECT code``, e.g. ``OperatorScope.case_units``; or ``scope_unit``:
one unit code whose subtree, by the hierarchy, bounds the read); None reads everything, unplaced cases too."""
from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from hub.cases import states
from hub.cases.repo import REPORT_EVENT_PREFIX, in_units
from hub.cases.rows import CaseRow
from hub.org import repo as org_repo
from hub.store import records as record_rows
from hub.store.records import CursorError
from hub.store.tables import (
    CASE_PLACE,
    CASE_TEXT,
    CASES_NOT_CLOSED,
    DUPLICATE_RECEIPT,
    IS_DUPLICATE,
    case_events,
    cases,
)

Row = dict[str, Any]


def case_mapping(conn: sa.Connection, case_id: str) -> Row | None:
    """One case's columns as a mapping (columns added later come along)."""
    row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).first()
    return dict(row._mapping) if row else None


# -- the case list and lookup -------------------------------------------------------------------------
# How a page is read (the plans were chosen with EXPLAIN over 1,000,000 cases: benchmarks/case_search.py):
# - the place filter (scope, unit) is resolved to unit codes first, so the planner sees the values and the index
#   on (place, created_at, id) is used; with a few places (a community and its grids) a page is merged from one
#   index branch per place instead of sorting the community's whole history;
# - enumerations the partial indexes are declared with (states) are rendered as literals, and a query limited to
#   cases not yet closed says so in the words of the partial indexes (``CASES_NOT_CLOSED``), for SQLite and for
#   PostgreSQL's generic plans alike;
# - paging is by keyset (``cursor``): a page starts after the last row of the one before, whatever arrived since;
# - the total is exact up to ``TOTAL_CAP`` and otherwise estimated (PostgreSQL's planner) or left open (SQLite).
ORDERS = ("newest", "oldest", "deadline", "level", "overdue_first")
LEVEL_RANK = ("red", "yellow", "blue")  # the "level" order: the most urgent colour first, then the oldest
TOTAL_CAP = 10_000
MERGE_PLACES = 24  # up to this many places, a page is merged from one index branch per place
TEXT_WINDOW = 2000  # a search looks among this many cases in order before it asks the text index
LOOKUP_LIMIT = 20
RECEIPT = re.compile(r"^[0-9a-f]{6}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
QUOTED_PREFIX = re.compile(r"^(编号|受理号|案件号|案号|回执|no\.?|ref\.?|#)\s*[:：]?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class CaseQuery:
    """What the case list is narrowed to; every filter given must hold (several values of one: any of them)."""

    q: str | None = None  # reference, receipt code, record / case id, or words of the title or note
    state: Sequence[str] = ()
    level: Sequence[str] = ()
    unit: str | None = None  # a unit's whole subtree
    category: Sequence[str] = ()
    assignee: str | None = None
    device: str | None = None  # the reporter device: cases opened from its reports
    source: Sequence[str] = ()
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    overdue: bool | None = None
    flagged: bool | None = None  # flagged for an operator to confirm routing / category


@dataclass(frozen=True)
class CaseListPage:
    rows: list[Row]  # the case's columns plus category_zh, category_en, grid_name, community_name
    next_cursor: str | None  # None: this was the last page
    total: int | None  # exact when at most TOTAL_CAP cases match (None: more, or not counted)
    total_estimate: int | None  # when total is None because more match: PostgreSQL's estimate (> TOTAL_CAP)


def _literal(values: Iterable[str]) -> sa.BindParameter[Any]:
    """Values rendered into the statement (the partial indexes' conditions must be provable from them)."""
    return sa.bindparam(None, sorted(set(values)), expanding=True, literal_execute=True)


def _overdue(now: datetime, live: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.and_(cases.c.state.in_(_literal(live)), cases.c.deadline.is_not(None), cases.c.deadline < now)


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: % _ and \\ are taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _quoted(q: str) -> str:
    """What someone quotes, without a label ("编号 899de7", "#899de7") and inner spaces."""
    return re.sub(r"\s+", "", QUOTED_PREFIX.sub("", q.strip()))


def reference_candidates(q: str) -> list[str]:
    """The references (FS-20261204-0042) ``q`` may mean: any case, dashes or not, the counter zero-padded or not
    ("fs-20261204-42"). Without dashes the prefix is whatever comes before 8 date digits and a counter of 4 to 6."""
    text = _quoted(q).upper()
    parts = text.split("-")
    if len(parts) == 3:
        prefix, day, number = parts
        if prefix.isalnum() and len(day) == 8 and day.isdigit() and number.isdigit() and 0 < len(number) <= 6:
            return [f"{prefix}-{day}-{int(number):04d}"]
        return []
    if len(parts) != 1 or not text.isalnum():
        return []
    found = []
    for digits in range(4, 7):
        cut = len(text) - 8 - digits
        prefix, day, number = text[:cut], text[cut:cut + 8], text[cut + 8:]
        if cut >= 1 and day.isdigit() and number.isdigit() and day[:2] in ("19", "20"):
            found.append(f"{prefix}-{day}-{number}")
    return found


def _record_id(q: str) -> str | None:
    text = _quoted(q).lower()
    if len(text) == 32 and all(c in "0123456789abcdef" for c in text):
        text = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text if UUID.match(text) else None


def _number_matches(conn: sa.Connection, q: str) -> list[sa.ColumnElement[bool]]:
    """Conditions (any of them) for the cases a quoted number names: a reference; a receipt code (the kiosk's
    编号: the report's record id's last 6 hex digits, the case's own report or a duplicate report that joined it);
    a case id; a report's record id (the case's, or a duplicate's). Each is an index lookup; the case ids of
    duplicate reports are looked up first, so the conditions stay indexable ORs."""
    found: list[sa.ColumnElement[bool]] = []
    refs = reference_candidates(q)
    if refs:
        found.append(cases.c.reference.in_(refs))
    code, record = _quoted(q).lower(), _record_id(q)
    joined: list[str] = []
    if RECEIPT.match(code):
        found.append(cases.c.receipt_code == code)
        joined += conn.execute(sa.select(case_events.c.case_id).where(
            DUPLICATE_RECEIPT == code, IS_DUPLICATE).limit(LOOKUP_LIMIT * 5)).scalars()
    if record is not None:
        found += [cases.c.id == record, cases.c.source_record_id == record]
        joined += conn.execute(sa.select(case_events.c.case_id).where(
            case_events.c.client_event_id == f"{REPORT_EVENT_PREFIX}{record}")).scalars()
    if joined:
        found.append(cases.c.id.in_(sorted(set(joined))))
    return found


def _text_match(conn: sa.Connection, q: str) -> sa.ColumnElement[bool]:
    """``q`` as a number someone quotes, or as words in the reference, title or note (any case; taken literally:
    % _ \\ are no wildcards). On PostgreSQL the bigram index (``ix_cases_text_bigrams``) holds every two-character
    piece of the text: two characters are a lookup of one piece (exact, so nothing else to check and the planner
    estimates it right); longer words take the cases holding all their pieces and check them with LIKE. On SQLite,
    and for one character, LIKE alone (a read of the scope's cases)."""
    words = q.strip()
    found: sa.ColumnElement[bool] = CASE_TEXT.like(sa.func.lower(f"%{escape_like(words)}%"), escape="\\")
    if conn.dialect.name == "postgresql" and len(words) >= 2:
        pieces = sa.func.gridline_bigrams(CASE_TEXT).op("@>", return_type=sa.Boolean)(
            sa.func.gridline_bigrams(sa.func.lower(words)))
        found = pieces if len(words) == 2 else sa.and_(pieces, found)
    return sa.or_(found, *_number_matches(conn, q))


def _filters(f: CaseQuery, now: datetime, live: Sequence[str]) -> list[sa.ColumnElement[bool]]:
    """Every filter but the words (``q``): see :func:`_text_match`."""
    where: list[sa.ColumnElement[bool]] = []
    not_closed = False  # only cases not yet closed can match: say it in the partial indexes' words
    if f.state:
        where.append(cases.c.state.in_(_literal(f.state)))
        not_closed = not set(f.state) & states.TERMINAL
    if f.level:
        where.append(cases.c.level.in_(_literal(f.level)))
    if f.category:
        where.append(cases.c.category_code.in_(sorted(set(f.category))))
    if f.assignee:
        where.append(cases.c.assignee == f.assignee)
    if f.source:
        where.append(cases.c.source.in_(_literal(f.source)))
    if f.device:
        where.append(cases.c.source_record_id.in_(record_rows.ids_of_device(f.device, kind="report")))
    if f.created_from is not None:
        where.append(cases.c.created_at >= f.created_from)
    if f.created_to is not None:
        where.append(cases.c.created_at < f.created_to)
    if f.overdue is True:
        where.append(_overdue(now, live))
        not_closed = not_closed or not set(live) & states.TERMINAL
    elif f.overdue is False:
        where.append(sa.not_(_overdue(now, live)))
    if f.flagged is not None:
        where.append(cases.c.flagged_for_review.is_(True) if f.flagged else cases.c.flagged_for_review.is_(False))
    if not_closed:
        where.append(sa.and_(CASES_NOT_CLOSED))
    return where


def _places(conn: sa.Connection, unit: str | None, scope_units: sa.Select[str] | None) -> frozenset[str] | None:
    """The unit codes a case's place must be among (None: anywhere, unplaced cases too): the scope's units, those
    of the unit filter's subtree, or both (a unit outside the scope leaves nothing)."""
    places = None if scope_units is None else frozenset(conn.execute(scope_units).scalars())
    if unit:
        subtree = org_repo.subtree_codes(conn, unit)
        places = subtree if places is None else places & subtree
    return places


# keyset paging: the cursor is the order's key of the last row shown
def _ordering(order: str, c: Any, now: datetime, live: Sequence[str]) -> tuple[Any, ...]:
    if order == "newest":
        return c.created_at.desc(), c.id.desc()
    if order in ("oldest", "level"):  # level: one pass per colour, each oldest first
        return c.created_at.asc(), c.id.asc()
    if order == "deadline":  # the nearest deadline first, cases without one last
        return c.deadline.asc().nulls_last(), c.id.asc()
    # overdue_first (offset paging only): overdue first, then the nearest deadline (none last), then the newest.
    overdue = sa.and_(c.state.in_(_literal(live)), c.deadline.is_not(None), c.deadline < now)
    return sa.case((overdue, 0), else_=1), c.deadline.is_(None), c.deadline, c.created_at.desc(), c.id.desc()


def _key(order: str, row: Row) -> list[Any]:
    if order == "deadline":
        return [row["deadline"].isoformat() if row["deadline"] else None, row["id"]]
    key = [row["created_at"].isoformat(), row["id"]]
    return [LEVEL_RANK.index(row["level"]), *key] if order == "level" else key


def encode_cursor(order: str, key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([order, *key], separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> list[Any]:
    """The key a cursor carries, checked against the order it was made for (:class:`CursorError` otherwise)."""
    try:
        got = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(got, list) or got[0] != order:
            raise ValueError
        key = got[1:]
        if order == "level":
            if not (isinstance(key[0], int) and 0 <= key[0] < len(LEVEL_RANK)):
                raise ValueError
            return [key[0], _aware(key[1]), str(key[2])]
        if order == "deadline":
            return [None if key[0] is None else _aware(key[0]), str(key[1])]
        return [_aware(key[0]), str(key[1])]
    except (ValueError, TypeError, IndexError, UnicodeError, binascii.Error):
        raise CursorError("invalid cursor") from None


def _aware(text: Any) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError
    return parsed


def _after(order: str, key: list[Any]) -> sa.ColumnElement[bool]:
    """The rows after ``key`` in ``order`` (for "level", within the key's colour). The key's values are bound with
    their columns' types: SQLite compares times as the text the column type writes."""
    def typed(column: sa.Column[Any], value: Any) -> sa.ColumnElement[Any]:
        return sa.literal(value, type_=column.type)

    c = cases.c
    if order == "newest":
        return sa.tuple_(c.created_at, c.id) < sa.tuple_(typed(c.created_at, key[0]), typed(c.id, key[1]))
    if order in ("oldest", "level"):
        return sa.tuple_(c.created_at, c.id) > sa.tuple_(typed(c.created_at, key[-2]), typed(c.id, key[-1]))
    deadline, case_id = key
    if deadline is None:
        return sa.and_(c.deadline.is_(None), c.id > case_id)
    return sa.or_(sa.tuple_(c.deadline, c.id) > sa.tuple_(typed(c.deadline, deadline), typed(c.id, case_id)),
                  c.deadline.is_(None))


def _page_query(where: list[sa.ColumnElement[bool]], places: frozenset[str] | None, order: str, n: int,
                offset: int, now: datetime, live: Sequence[str], merge: bool,
                columns: Sequence[Any] = (cases,)) -> sa.Select[Any]:
    """``n`` case rows (``columns``) after ``offset`` in ``order``; with a few places and ``merge``, merged from one
    branch per place (each reads its place's rows in index order and stops at the page)."""
    if merge and places is not None and 1 < len(places) <= MERGE_PLACES and order in ("newest", "oldest", "level"):
        # The branches carry only the order's key: a subquery of every case column, once per place, cost more to
        # build in Python than PostgreSQL takes to run the page. The page's rows join on the keys at the end.
        keys = (cases.c.id, cases.c.created_at)
        branches = [sa.select(*keys).where(CASE_PLACE == place, *where)
                    .order_by(*_ordering(order, cases.c, now, live)).limit(offset + n).subquery()
                    for place in sorted(places)]
        merged = sa.union_all(*(sa.select(b) for b in branches)).subquery("merged")
        page = (sa.select(merged).order_by(*_ordering(order, merged.c, now, live)).offset(offset).limit(n)
                .subquery("page_keys"))
        return (sa.select(*columns).select_from(cases.join(page, page.c.id == cases.c.id))
                .order_by(*_ordering(order, cases.c, now, live)))
    if places is not None:
        where = [*where, CASE_PLACE.in_(sorted(places))]
    return (sa.select(*columns).where(*where).order_by(*_ordering(order, cases.c, now, live))
            .offset(offset).limit(n))


def _named(conn: sa.Connection, page: sa.Select[Any], order: str, now: datetime,
           live: Sequence[str]) -> list[Row]:
    """The page's rows with the names a list shows: category (zh, en), grid and community."""
    p = page.subquery("page")
    cat = org_repo.category_names_view()
    grid, community = org_repo.unit_names_view("grid_names"), org_repo.unit_names_view("community_names")
    query = (sa.select(p, cat.c.name_zh.label("category_zh"), cat.c.name_en.label("category_en"),
                       grid.c.name.label("grid_name"), community.c.name.label("community_name"))
             .outerjoin(cat, cat.c.code == p.c.category_code)
             .outerjoin(grid, grid.c.code == p.c.grid_code)
             .outerjoin(community, community.c.code == p.c.community_code)
             .order_by(*_ordering(order, p.c, now, live)))
    return [dict(r._mapping) for r in conn.execute(query)]


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a statement, compiled with its parameters (PostgreSQL)."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any]):
        self.statement = statement


@compiles(_Explain, "postgresql")
def _explain_postgresql(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def _count(conn: sa.Connection, where: list[sa.ColumnElement[bool]],
           places: frozenset[str] | None) -> tuple[int | None, int | None]:
    """(exact total, None) up to TOTAL_CAP matches; beyond, (None, PostgreSQL's estimate) - an exact count of a
    million rows costs a read of every one of them."""
    if places is not None:
        where = [*where, CASE_PLACE.in_(sorted(places))]
    matching = sa.select(cases.c.id).where(*where)
    capped = conn.execute(sa.select(sa.func.count()).select_from(matching.limit(TOTAL_CAP + 1).subquery()))
    total = int(capped.scalar_one())
    if total <= TOTAL_CAP:
        return total, None
    if conn.dialect.name != "postgresql":
        return None, None
    plan = conn.execute(_Explain(matching)).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return None, max(TOTAL_CAP + 1, int(plan[0]["Plan"]["Plan Rows"]))


def find_cases(conn: sa.Connection, f: CaseQuery, *, now: datetime, live: Sequence[str], order: str = "newest",
               limit: int = 50, offset: int = 0, cursor: str | None = None, count: bool = True,
               scope_units: sa.Select[str] | None = None) -> CaseListPage:
    """One page of the cases matching ``f``, in ``order`` (newest, oldest, deadline, level - red, yellow, blue,
    each oldest first - or overdue_first), after ``cursor`` (the ``next_cursor`` of the page before; raises
    :class:`CursorError` for a bad one) or ``offset``. ``scope_units``: the operator's units (None: everything);
    ``live``: the states whose deadline clock runs; ``count``: work out the total."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}")
    key = decode_cursor(cursor, order) if cursor else None
    places = _places(conn, f.unit, scope_units)
    if places is not None and not places:
        return CaseListPage([], None, 0 if count else None, None)
    base = _filters(f, now, live)
    words = (f.q or "").strip()
    text = _text_match(conn, words) if words else None
    where = base if text is None else [*base, text]
    # A filter with an index of its own (an assignee, a device's reports) leaves few rows: one query that starts
    # from that index beats a branch per place.
    merge = not (f.assignee or f.device)
    rows: list[Row] = []
    if order == "level":
        wanted = [lv for lv in LEVEL_RANK if not f.level or lv in f.level]
        skip = offset
        for rank, level in enumerate(LEVEL_RANK):
            if level not in wanted or (key is not None and rank < key[0]):
                continue
            pass_where = [*where, cases.c.level == level]
            if key is not None and rank == key[0]:
                pass_where.append(_after(order, key))
            n = limit + 1 - len(rows) + skip
            got = _named(conn, _page_query(pass_where, places, order, n, 0, now, live, merge), order, now, live)
            rows += got[skip:]
            skip = max(0, skip - len(got))
            if len(rows) > limit:
                break
    else:
        after = [] if key is None else [_after(order, key)]
        probe = text is not None and order in ("newest", "oldest")
        if text is not None and probe:
            # Words many cases hold fill a page from the newest (oldest) cases at once, while a lookup of their
            # pieces would read every case holding them: look among the next TEXT_WINDOW cases in order first.
            # Too few there means the words are rare, and the index finds the few cases that hold them.
            window = _page_query([*base, *after], places, order, TEXT_WINDOW, 0, now, live, merge,
                                 columns=(cases.c.id, cases.c.created_at)).subquery("window")
            rows = _named(conn, sa.select(cases).where(cases.c.id.in_(sa.select(window.c.id)), text)
                          .order_by(*_ordering(order, cases.c, now, live)).offset(offset).limit(limit + 1),
                          order, now, live)
        if not probe or len(rows) <= limit:
            rows = _named(conn, _page_query([*where, *after], places, order, limit + 1, offset, now, live,
                                            merge and text is None), order, now, live)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(order, _key(order, rows[-1])) if more and order != "overdue_first" else None
    total, estimate = _count(conn, where, places) if count else (None, None)
    return CaseListPage(rows, next_cursor, total, estimate)


def lookup_cases(conn: sa.Connection, q: str, *, scope_units: sa.Select[str] | None,
                 limit: int = LOOKUP_LIMIT) -> list[Row]:
    """The cases in scope a quoted number names, newest first: a reference (any case, with or without dashes), a
    receipt code (the kiosk's 编号: several cases may share one), a case id or a report's record id. Cases
    outside the scope are not among them."""
    matches = _number_matches(conn, q)
    if not matches:
        return []
    query = sa.select(cases).where(sa.or_(*matches))
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    query = query.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


# -- the map ---------------------------------------------------------------------------------------------
def _scoped(query: sa.Select[Any], scope_units: sa.Select[str] | None) -> sa.Select[Any]:
    return query if scope_units is None else query.where(in_units(scope_units))


def _in_unit_subtree(query: sa.Select[Any], scope_unit: str | None) -> sa.Select[Any]:
    return query if scope_unit is None else query.where(in_units(org_repo.unit_subtree(scope_unit)))


def open_load(conn: sa.Connection, listed_states: Sequence[str], running: Sequence[str], now: datetime,
              scope_units: sa.Select[str] | None) -> list[tuple[str | None, str, str, int, int]]:
    """(grid, state, level, cases, of them overdue) per grid, state and level of the cases in ``listed_states``;
    ``running``: the states whose deadline clock runs (the caller sorts states into open / suspended / awaiting
    check)."""
    overdue = sa.and_(cases.c.deadline.is_not(None), cases.c.deadline < now, cases.c.state.in_(list(running)))
    query = (sa.select(cases.c.grid_code, cases.c.state, cases.c.level, sa.func.count().label("n"),
                       sa.func.sum(sa.case((overdue, 1), else_=0)).label("late"))
             .where(cases.c.state.in_(list(listed_states)))
             .group_by(cases.c.grid_code, cases.c.state, cases.c.level))
    return [(g, st, lv, int(n), int(late or 0)) for g, st, lv, n, late in conn.execute(_scoped(query, scope_units))]


def open_cases_named(conn: sa.Connection, listed_states: Sequence[str], scope_units: sa.Select[str] | None,
                     limit: int = 2000) -> list[tuple[CaseRow, Row]]:
    """Cases in ``listed_states`` in scope, newest first, each with the names a map shows instead of codes:
    ``category_zh``, ``category_en``, ``assignee_name``, ``grid_name``, ``community_name``, and the report's
    record payload (``source_payload``: its photos are the "before" pictures)."""
    cat, who = org_repo.category_names_view(), org_repo.person_names_view()
    grid, community = org_repo.unit_names_view("grid_names"), org_repo.unit_names_view("community_names")
    source = record_rows.payload_view()
    query = (sa.select(cases, cat.c.name_zh.label("category_zh"), cat.c.name_en.label("category_en"),
                       who.c.name.label("assignee_name"), grid.c.name.label("grid_name"),
                       community.c.name.label("community_name"), source.c.payload.label("source_payload"))
             .outerjoin(cat, cat.c.code == cases.c.category_code)
             .outerjoin(who, who.c.id == cases.c.assignee)
             .outerjoin(grid, grid.c.code == cases.c.grid_code)
             .outerjoin(community, community.c.code == cases.c.community_code)
             .outerjoin(source, source.c.id == cases.c.source_record_id)
             .where(cases.c.state.in_(list(listed_states)))
             .order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit))
    extra = ("category_zh", "category_en", "assignee_name", "grid_name", "community_name", "source_payload")
    out = []
    for r in conn.execute(_scoped(query, scope_units)):
        m = dict(r._mapping)
        names = {k: m.pop(k) for k in extra}
        out.append((CaseRow(**m), names))
    return out


def latest_evidence(conn: sa.Connection, case_ids: Sequence[str], transitions: Sequence[str]) -> dict[str, list[Any]]:
    """case id → the evidence (photo sha256s) of its newest applied event among ``transitions`` that had any: the
    "after" pictures of a resolved case. Read for a few cases at a time (those awaiting a check)."""
    found: dict[str, list[Any]] = {}
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), 500):
        query = (sa.select(case_events.c.case_id, case_events.c.evidence)
                 .where(case_events.c.case_id.in_(ids[start:start + 500]), case_events.c.outcome == "applied",
                        case_events.c.transition.in_(list(transitions)), case_events.c.evidence.is_not(None))
                 .order_by(case_events.c.case_id, case_events.c.seq))
        for case_id, evidence in conn.execute(query):
            if evidence:
                found[case_id] = list(evidence)  # ordered by seq: the newest wins
    return found


# -- the live feed ----------------------------------------------------------------------------------------
def _feed_query() -> sa.Select[Any]:
    cat, actor, source = org_repo.category_names_view(), org_repo.person_names_view(), record_rows.payload_view()
    assignee = org_repo.person_names_view().alias("assignee_names")
    grid, community = org_repo.unit_names_view("grid_names"), org_repo.unit_names_view("community_names")
    return (sa.select(case_events.c.id, case_events.c.case_id, case_events.c.transition, case_events.c.from_state,
                      case_events.c.to_state, case_events.c.actor, case_events.c.actor_device,
                      case_events.c.assignee.label("event_assignee"), case_events.c.at, case_events.c.reason,
                      case_events.c.note.label("event_note"), case_events.c.evidence,
                      cases.c.state, cases.c.level, cases.c.title, cases.c.note, cases.c.category_code,
                      cases.c.grid_code, cases.c.community_code, cases.c.lat, cases.c.lon, cases.c.report_count,
                      cases.c.assignee, cases.c.deadline, cases.c.escalation_level, cases.c.reference,
                      cases.c.severity, cases.c.alarm_at, cases.c.alarm_acked_at,
                      cat.c.name_zh, cat.c.name_en, source.c.payload.label("source_payload"),
                      actor.c.name.label("actor_name"), assignee.c.name.label("assignee_name"),
                      grid.c.name.label("grid_name"), community.c.name.label("community_name"))
            .join(cases, cases.c.id == case_events.c.case_id)
            .outerjoin(cat, cat.c.code == cases.c.category_code)
            .outerjoin(source, source.c.id == cases.c.source_record_id)
            .outerjoin(actor, actor.c.id == case_events.c.actor)
            .outerjoin(assignee, assignee.c.id == sa.func.coalesce(case_events.c.assignee, cases.c.assignee))
            .outerjoin(grid, grid.c.code == cases.c.grid_code)
            .outerjoin(community, community.c.code == cases.c.community_code)
            .where(case_events.c.outcome == "applied"))


def feed_rows_after(conn: sa.Connection, after_id: int, *, extra_ids: Iterable[int] = (),
                    scope_unit: str | None = None, limit: int = 500) -> list[Row]:
    """Applied case events with id > ``after_id`` (plus ``extra_ids``: late commits below it), oldest first,
    each with its case's current picture; ``scope_unit``: only cases in that unit's subtree (None: all)."""
    wanted = list(extra_ids)
    cond = case_events.c.id > after_id
    if wanted:
        cond = sa.or_(cond, case_events.c.id.in_(wanted))
    query = _in_unit_subtree(_feed_query().where(cond), scope_unit).order_by(case_events.c.id).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def recent_feed_rows(conn: sa.Connection, scope_unit: str | None, limit: int = 50) -> list[Row]:
    """The newest applied events in the subtree of ``scope_unit`` (None: everything), oldest first."""
    query = _in_unit_subtree(_feed_query(), scope_unit).order_by(case_events.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in reversed(conn.execute(query).all())]


def event_ids_after(conn: sa.Connection, after_id: int, extra_ids: Iterable[int] = (), limit: int = 2000) -> list[int]:
    """Every case event id (any outcome) past the cursor: the cursor must move over rejected ones too."""
    wanted = list(extra_ids)
    cond = case_events.c.id > after_id
    if wanted:
        cond = sa.or_(cond, case_events.c.id.in_(wanted))
    return list(conn.execute(sa.select(case_events.c.id).where(cond).order_by(case_events.c.id).limit(limit)).scalars())


def max_event_id(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.max(case_events.c.id))).scalar() or 0)


# -- Open311: only cases opened from a report record, never internal tasks --------------------------------------
def _public(internal_categories: Iterable[str]) -> sa.ColumnElement[bool]:
    return sa.and_(cases.c.source_record_id.in_(record_rows.ids_of_kind("report")),
                   cases.c.category_code.not_in(sorted(internal_categories)))


def public_cases(conn: sa.Connection, *, internal: Iterable[str], ids: list[str] | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 categories: list[str] | None = None, closed: bool | None = None,
                 closed_states: Sequence[str] = (), limit: int = 1000) -> list[Row]:
    """Public cases, newest first: by id (``ids`` overrides every other filter), else created in [start, end]
    of the given categories, open (``closed`` False) or closed (True) by ``closed_states``."""
    query = sa.select(cases).where(_public(internal))
    if ids:
        query = query.where(cases.c.id.in_(ids))
    else:
        if start is not None:
            query = query.where(cases.c.created_at >= start)
        if end is not None:
            query = query.where(cases.c.created_at <= end)
        if categories:
            query = query.where(cases.c.category_code.in_(categories))
        if closed is True:
            query = query.where(cases.c.state.in_(list(closed_states)))
        elif closed is False:
            query = query.where(cases.c.state.not_in(list(closed_states)))
    query = query.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def public_events(conn: sa.Connection, *, internal: Iterable[str], start: datetime, end: datetime,
                  ids: list[str] | None = None, limit: int = 1000) -> list[sa.Row[Any]]:
    """Applied events of public cases in [start, end], oldest first: (id, case_id, transition, to_state, at,
    reason, note)."""
    ev = case_events.c
    query = (sa.select(ev.id, ev.case_id, ev.transition, ev.to_state, ev.at, ev.reason, ev.note)
             .join(cases, cases.c.id == ev.case_id)
             .where(_public(internal), ev.outcome == "applied", ev.at >= start, ev.at <= end))
    if ids:
        query = query.where(ev.case_id.in_(ids))
    return list(conn.execute(query.order_by(ev.at, ev.id).limit(limit)))
