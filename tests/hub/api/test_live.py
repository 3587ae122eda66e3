"""The live stream's parts: the shared publisher (cursors, coalesced positions, scope per subscriber) and the
SSE endpoint (scope, resume by Last-Event-ID from the audit trail)."""
from __future__ import annotations

import asyncio
import json

from hub.cases import CaseService
from hub.org.taxonomy import install_taxonomy
from hub.web.feed import recent_feed
from hub.web.publisher import LivePublisher

from .dashboard_fixtures import FUSHI, OTHER, dashboard, load_two_communities, open_cases, report_positions, sign_in  # noqa: F401


def test_publisher_polls_cases_positions_and_filters_by_scope(store):
    load_two_communities(store)
    install_taxonomy(store)

    async def scenario():
        pub = LivePublisher(store, clock=store.clock, position_every_s=0.0)
        fushi, wanzai = pub.subscribe(FUSHI), pub.subscribe(OTHER)
        await asyncio.sleep(0)  # let the task start
        pub._task.cancel()  # drive polls by hand
        pub._start_cursors()
        mine, theirs = open_cases(store)
        # one device, many fixes in one poll: only the newest goes out
        report_positions(store, "tablet-wz-01", [(22.245 + i * 0.0001, 113.531) for i in range(5)])
        pub._fan_out(*pub.poll_once())
        f_items, f_pos = fushi.take()
        w_items, w_pos = wanzai.take()
        assert {(k, d["case_id"]) for k, d, _ in f_items} == {("case", mine)}  # a hub-raised case starts filed
        assert {d["case_id"] for _, d, _ in w_items} == {theirs}
        assert f_pos == {} and list(w_pos) == ["tablet-wz-01"]
        assert w_pos["tablet-wz-01"][1] == 22.245 + 4 * 0.0001  # the newest fix of the five
        # a transition later: the cursor moved, nothing is sent twice
        service = CaseService(store, clock=store.clock)
        service.transition(mine, "dispatch", "p-disp-fs", assignee="p-lead-01")
        pub._fan_out(*pub.poll_once())
        f_items, _ = fushi.take()
        assert [(d["transition"], d["state"], d["actor_name"], d["assignee"]) for _, d, _ in f_items] == [
            ("dispatch", "dispatched", "福石调度员", "p-lead-01")]
        assert wanzai.take() == ([], {})

    asyncio.run(scenario())


def test_slow_subscriber_is_told_to_reload_instead_of_growing_without_bound(store):
    load_two_communities(store)

    async def scenario():
        pub = LivePublisher(store, clock=store.clock)
        sub = pub.subscribe(FUSHI)
        pub._task.cancel()
        for i in range(500):
            sub.offer("case", FUSHI + "001", {"n": i}, i)
        items, _ = sub.take()
        assert len(items) < 250 and ("reset", {}, None) in items

    asyncio.run(scenario())


def read_events(response, until_kind: str, limit: int = 50) -> list[tuple[str, str | None, dict]]:
    """Parse SSE messages off a streaming response until one of ``until_kind`` has arrived."""
    events, kind, eid, data = [], None, None, None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("id: "):
            eid = line[4:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and kind:
            events.append((kind, eid, data))
            if kind == until_kind or len(events) >= limit:
                return events
            kind, eid, data = None, None, None
    return events


def test_stream_resumes_from_last_event_id_within_scope(dashboard, store):
    mine, theirs = open_cases(store)  # (the running hub's jobs may file/dispatch them meanwhile)
    sign_in(dashboard, "fushi")
    with dashboard.stream("GET", "/api/live/events", headers={"Last-Event-ID": "0"}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response, "hello")
    replayed = [(d["case_id"], d["transition"]) for k, _, d in events if k == "case"]
    assert replayed and {c for c, _ in replayed} == {mine}  # not the other community's
    last_id = int([eid for k, eid, _ in events if k == "case"][-1])
    with dashboard.stream("GET", "/api/live/events", headers={"Last-Event-ID": str(last_id)}) as response:
        again = read_events(response, "hello")
    assert all(int(eid) > last_id for k, eid, _ in again if k == "case")  # nothing sent twice
    with dashboard.stream("GET", f"/api/live/events?after={last_id - 1}") as response:
        assert [int(eid) for k, eid, _ in read_events(response, "hello") if k == "case"][0] == last_id


def test_stream_and_recent_feed_refuse_without_sign_in(dashboard, store):
    assert dashboard.get("/api/live/events").status_code == 401
    open_cases(store)
    sign_in(dashboard, "wanzai")
    recent = dashboard.get("/api/live/recent").json()
    assert {r["title"] for r in recent} == {"湾仔的案件"}
    with store.engine.connect() as conn:
        assert {r["title"] for r in recent_feed(conn, None)} == {"湾仔的案件", "垃圾堆积"}
