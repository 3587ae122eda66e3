"""待研判 over a real store (SQLite and PostgreSQL): the reported cases auto-dispatch leaves for a person show in the
operator's triage queue with every reason and the grids they may belong to; filing into a chosen grid dispatches to
its grid leader at once (or says there is none), merging joins the open case, rejecting needs a reason - each on
the trail as the operator's person with their account; ids in the body out of scope are refused as absent."""
from __future__ import annotations

import sqlalchemy as sa

from hub.org.taxonomy import set_enabled
from hub.store.tables import access_log
from tests.hub.api.triage_fixtures import *  # noqa: F403 - the fixtures: world, client, operators
from tests.hub.api.triage_fixtures import (
    CUIWEI,
    CUIWEI_GRID,
    FAR_AWAY,
    FUSHI,
    GRID,
    INSIDE_2,
    INSIDE_CUIWEI,
    STRADDLE_1_2,
    WEST_OF_FUSHI,
    report,
)


def queue(client, headers) -> dict[str, dict]:
    response = client.get("/api/triage", headers=headers)
    assert response.status_code == 200, response.text
    return {item["case"]["id"]: item for item in response.json()["items"]}


def codes(item) -> list[str]:
    return [r["code"] for r in item["reasons"]]


def triage(client, headers, case_id, **body):
    return client.post(f"/api/cases/{case_id}/triage", json=body, headers=headers)


def test_the_queue_lists_every_reason_with_its_candidates(client, store, world, operators, clock):
    service = world
    straddle = report(store, service, STRADDLE_1_2)
    clock.advance(60)
    west = report(store, service, WEST_OF_FUSHI)
    clock.advance(60)
    far = report(store, service, FAR_AWAY, device="kiosk-unbound")
    clock.advance(60)
    unknown = report(store, service, (22.250, 113.5277, 5.0), category="Z9999")  # grid 3
    clock.advance(60)
    set_enabled(store, "E0102", False)
    disabled = report(store, service, (22.250, 113.5307, 5.0), category="E0102")  # grid 4
    clock.advance(60)
    vague = report(store, service, (22.266, 113.526, 150.0), device="kiosk-cw-01")  # 翠微, no grid leader
    clock.advance(60)
    leaderless = report(store, service, INSIDE_CUIWEI, device="kiosk-cw-01")
    clock.advance(60)
    urgent = report(store, service, STRADDLE_1_2, category="E0504", severity="urgent")  # newest, red: first
    fine = report(store, service, INSIDE_2)  # confidently in grid 2: auto-dispatch's, never triage's

    street = queue(client, operators["p-sup-st"])
    assert fine not in street and far not in street  # an unplaced case: only the top of the hierarchy sees it
    assert list(street)[0] == urgent and street[urgent]["case"]["level"] == "red"
    assert list(street)[1:] == [straddle, west, unknown, disabled, vague, leaderless]  # then the oldest first
    assert codes(street[straddle]) == ["straddles_boundary"]
    assert codes(street[west]) == ["community_fallback"]
    assert codes(street[unknown]) == ["unknown_category"]
    assert codes(street[disabled]) == ["disabled_category"]
    assert codes(street[vague]) == ["low_accuracy", "no_grid_leader"]
    assert codes(street[leaderless]) == ["no_grid_leader"]
    reason = street[straddle]["reasons"][0]
    assert reason["zh"] == "定位跨网格边界，请确认所属网格" and reason["en"].startswith("Position straddles")

    candidates = street[straddle]["candidates"]
    assert [c["grid_code"] for c in candidates] == [GRID[1], GRID[2]]  # most of the circle first
    assert abs(sum(c["share"] for c in candidates) - 1.0) < 0.01 and all(c["in_scope"] for c in candidates)
    assert candidates[0]["geometry"]["type"] == "Polygon" and candidates[0]["grid_name"].startswith("福石")
    assert [c["grid_code"] for c in street[west]["candidates"]] == [GRID[n] for n in range(1, 6)]
    assert all(c["share"] is None for c in street[west]["candidates"])
    assert [c["grid_code"] for c in street[unknown]["candidates"]] == [GRID[3]]

    city = queue(client, operators["p-disp-city"])
    assert codes(city[far]) == ["unassigned"]  # the nearest community's grids: 福石 (翠微 lies further north)
    assert [c["grid_code"] for c in city[far]["candidates"]] == [GRID[n] for n in range(1, 6)]
    fushi = queue(client, operators["p-disp-fs"])
    assert set(fushi) == {urgent, straddle, west, unknown, disabled}  # not 翠微's
    cuiwei = queue(client, operators["p-disp-cw"])
    assert set(cuiwei) == {vague, leaderless}


def test_filing_into_a_chosen_grid_dispatches_to_its_grid_leader(client, store, world, operators):
    service = world
    case_id = report(store, service, STRADDLE_1_2)
    me = client.get("/api/auth/me", headers=operators["p-disp-fs"]).json()["id"]
    answer = triage(client, operators["p-disp-fs"], case_id, action="file", grid_code=GRID[2],
                    note="居民电话确认在二网格", expected_version=1)
    assert answer.status_code == 200, answer.text
    case = answer.json()
    assert (case["state"], case["grid_code"], case["community_code"], case["flagged_for_review"]) == (
        "dispatched", GRID[2], FUSHI, False)
    assert case["assignee"]["id"] == "p-lead-02" and case["deadline"] is not None
    assert [n["code"] for n in case["notices"]] == ["dispatched_to_grid_leader"]
    trail = service.events(case_id)
    assert [(e.transition, e.actor, e.operator_id) for e in trail] == [
        ("report", "system", None), ("file", "p-disp-fs", me), ("dispatch", "p-disp-fs", me)]
    assert GRID[2] in trail[1].note and "居民电话确认在二网格" in trail[1].note and trail[2].assignee == "p-lead-02"
    with store.engine.connect() as conn:
        logged = conn.execute(sa.select(access_log).where(access_log.c.route == "/api/cases/{case_id}/triage")).all()
    assert [(r.method, r.status, r.resource_ids["case_id"], r.operator_id) for r in logged] == [
        ("POST", 200, case_id, me)]
    assert queue(client, operators["p-disp-fs"]) == {}

    # the category chosen while filing; the report's own grid kept when none is named
    unknown = report(store, service, (22.250, 113.5277, 5.0), category="Z9999")
    filed = triage(client, operators["p-disp-fs"], unknown, action="file", category_code="E0101").json()
    assert (filed["state"], filed["category_code"], filed["grid_code"]) == ("dispatched", "E0101", GRID[3])

    # 翠微's grid has no grid leader: filed, and the answer says nobody was dispatched
    leaderless = report(store, service, INSIDE_CUIWEI, device="kiosk-cw-01")
    answer = triage(client, operators["p-sup-st"], leaderless, action="file").json()
    assert answer["state"] == "filed" and answer["assignee"] is None
    assert [n["code"] for n in answer["notices"]] == ["no_grid_leader"] and "网格长" in answer["notices"][0]["zh"]

    # 属地兜底 to the community: a grid must be chosen
    west = report(store, service, WEST_OF_FUSHI)
    refused = triage(client, operators["p-disp-fs"], west, action="file")
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "grid_required"
    placed = triage(client, operators["p-disp-fs"], west, action="file", grid_code=GRID[1]).json()
    assert (placed["state"], placed["grid_code"], placed["assignee"]["id"]) == ("dispatched", GRID[1], "p-lead-01")


def test_ids_in_the_body_are_checked_against_the_scope(client, store, world, operators):
    service = world
    case_id = report(store, service, STRADDLE_1_2)
    ours = operators["p-disp-fs"]
    theirs = report(store, service, INSIDE_CUIWEI, device="kiosk-cw-01")
    set_enabled(store, "E0102", False)
    for body, code in [({"action": "file", "grid_code": CUIWEI_GRID}, "grid_out_of_scope"),
                       ({"action": "file", "grid_code": FUSHI}, "grid_out_of_scope"),  # a community is no grid
                       ({"action": "file", "grid_code": "999999999999999"}, "grid_out_of_scope"),
                       ({"action": "file", "category_code": "Z9999"}, "unknown_category"),
                       ({"action": "file", "category_code": "E0102"}, "unknown_category"),  # disabled
                       ({"action": "merge", "merge_into": theirs}, "merge_target_out_of_scope"),
                       ({"action": "merge", "merge_into": "FS-20990101-0001"}, "merge_target_out_of_scope"),
                       ({"action": "merge", "merge_into": case_id}, "merge_into_self"),
                       ({"action": "reject"}, "reason_required")]:
        answer = triage(client, ours, case_id, **body)
        assert answer.status_code == 422, (body, answer.text)
        detail = answer.json()["detail"]
        assert detail["code"] == code and detail["zh"] and detail["en"], (body, detail)
    for body in ({"action": "reject", "grid_code": GRID[1], "reason": "x"}, {"action": "merge"},
                 {"action": "file", "merge_into": theirs}, {"action": "fly"}, {"action": "file", "surprise": 1}):
        assert triage(client, ours, case_id, **body).status_code == 422, body
    assert triage(client, ours, theirs, action="reject", reason="x").status_code == 404  # 翠微's case
    assert triage(client, operators["viewer"], case_id, action="reject", reason="x").status_code == 403
    assert triage(client, operators["unlinked"], case_id, action="reject", reason="x").status_code == 403
    stale = triage(client, ours, case_id, action="file", grid_code=GRID[2], expected_version=7)
    assert stale.status_code == 409 and stale.json()["detail"]["code"] == "version_conflict"
    case = service.get(case_id)
    assert (case.state, case.version, case.grid_code) == ("reported", 1, GRID[1])  # nothing refused was written
    assert [e.transition for e in service.events(case_id)] == ["report"]


def test_merging_joins_the_open_case_and_rejecting_needs_a_reason(client, store, world, operators):
    service = world
    target = report(store, service, STRADDLE_1_2, note="消防通道堵塞")
    triage(client, operators["p-disp-fs"], target, action="file", grid_code=GRID[1])
    before = service.get(target)
    source = report(store, service, WEST_OF_FUSHI, note="同一处，邻居又打来电话")
    answer = triage(client, operators["p-disp-fs"], source, action="merge", merge_into=before.reference.lower(),
                    note="同一辆车")
    assert answer.status_code == 200, answer.text
    merged = answer.json()
    assert (merged["state"], merged["merged_into"]) == ("not_filed", target)
    assert [n["code"] for n in merged["notices"]] == ["merged"] and before.reference in merged["notices"][0]["zh"]
    last = service.events(source)[-1]
    assert (last.transition, last.actor, last.reason) == (
        "not_file", "p-disp-fs", f"并入 {before.reference} / merged into {before.reference}")
    after = service.get(target)
    assert (after.report_count, after.level, after.version) == (2, "yellow", before.version + 1)
    joined = service.events(target)[-1]
    assert (joined.transition, joined.actor, joined.origin, joined.from_state, joined.to_state) == (
        "duplicate", "p-disp-fs", "api", "dispatched", "dispatched")
    assert joined.operator_id is not None and merged["reference"] in joined.note and "同一辆车" in joined.note

    other = report(store, service, STRADDLE_1_2, category="E0501")
    closed = triage(client, operators["p-disp-fs"], other, action="merge", merge_into=source)  # not open
    assert closed.status_code == 422 and closed.json()["detail"]["code"] == "merge_target_closed"

    junk = report(store, service, FAR_AWAY, device="kiosk-unbound")
    rejected = triage(client, operators["p-disp-city"], junk, action="reject", reason="测试数据，非真实事件")
    assert rejected.status_code == 200 and rejected.json()["state"] == "not_filed"
    assert service.events(junk)[-1].reason == "测试数据，非真实事件"
    assert junk not in queue(client, operators["p-disp-city"])


def test_a_street_operator_files_into_either_community(client, store, world, operators):
    service = world
    case_id = report(store, service, STRADDLE_1_2)
    answer = triage(client, operators["p-sup-st"], case_id, action="file", grid_code=CUIWEI_GRID).json()
    assert (answer["state"], answer["grid_code"], answer["community_code"]) == ("filed", CUIWEI_GRID, CUIWEI)
    # now 翠微's case: 福石's operator no longer sees it
    assert client.get(f"/api/cases/{case_id}", headers=operators["p-disp-fs"]).status_code == 404
    assert client.get(f"/api/cases/{case_id}", headers=operators["p-disp-cw"]).status_code == 200
