"""The follow-up API (both backends): the queue and a logged call in the operator's scope only; another community's
follow-up is 404, also for a call; the KPIs by grid; Open311 updates show the outcome and never the words."""
from __future__ import annotations

import json
from datetime import timedelta

from hub.cases import CaseService
from hub.cases import repo as cases_repo
from hub.cases.intake import CaseIntake
from hub.followup.service import FollowupService
from tests.hub.api.dashboard_fixtures import PASSWORD, dashboard, open_cases  # noqa: F401 - the fixture

from .test_followup import close, kiosk_report

WORDS = "楼下王阿姨说还是很臭，电话13912345678"


def bearer(client, username: str) -> dict[str, str]:
    """Scripts' sign-in (a bearer token): the cookie would need a same-origin header for POSTs."""
    client.cookies.clear()
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def closed_with_followup(store) -> tuple[str, str]:
    """A kiosk report (with a card) of 福石, closed, awaiting its follow-up; an open case of 湾仔."""
    cases = CaseService(store, clock=store.clock)
    _, theirs = open_cases(store)
    report = kiosk_report(store, store.clock)
    assert CaseIntake(store, cases).run_once() >= 1
    with store.read() as conn:
        mine = cases_repo.case_id_by_source(conn, report.id)
    assert mine is not None
    close(cases, mine)
    FollowupService(store, cases, clock=store.clock).open_rounds()
    return mine, theirs


def test_queue_call_and_kpis_in_scope_and_another_community_is_404(dashboard, store):
    mine, theirs = closed_with_followup(store)
    dashboard.headers.update(bearer(dashboard, "fushi"))
    queue = dashboard.get("/api/followups").json()
    assert [f["case_id"] for f in queue] == [mine]
    assert queue[0]["state"] == "pending" and queue[0]["overdue"] is False and queue[0]["by_card"] is True
    assert "resident_key" not in queue[0]
    assert dashboard.get(f"/api/cases/{mine}/followup").json()["state"] == "pending"
    listed = {c["id"]: c for c in dashboard.get("/api/cases").json()["items"]}
    assert listed[mine]["followup"] == "pending" and theirs not in listed

    dashboard.headers.update(bearer(dashboard, "wanzai"))
    assert dashboard.get("/api/followups").json() == []
    assert dashboard.get(f"/api/cases/{mine}/followup").status_code == 404
    refused = dashboard.post(f"/api/cases/{mine}/followup/call", json={"outcome": "satisfied"})
    assert refused.status_code == 404
    dashboard.headers.update(bearer(dashboard, "fushi"))
    assert dashboard.get(f"/api/cases/{mine}/followup").json()["state"] == "pending"  # the refusal changed nothing
    assert dashboard.get(f"/api/cases/{theirs}/followup").status_code == 404

    allowed = dashboard.get(f"/api/cases/{mine}/allowed").json()["transitions"]
    assert "reopen" not in [a["transition"] for a in allowed]
    direct = dashboard.post(f"/api/cases/{mine}/transitions", json={"transition": "reopen", "reason": "不满意"})
    assert direct.status_code == 422 and direct.json()["detail"]["code"] == "reopen_by_followup"
    bad = dashboard.post(f"/api/cases/{mine}/followup/call", json={"outcome": "angry"})
    assert bad.status_code == 422
    called = dashboard.post(f"/api/cases/{mine}/followup/call", json={"outcome": "dissatisfied", "note": WORDS})
    assert called.status_code == 200, called.text
    assert (called.json()["answer"], called.json()["channel"]) == ("dissatisfied", "call")
    again = dashboard.post(f"/api/cases/{mine}/followup/call", json={"outcome": "satisfied"})
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_answered"
    case = dashboard.get(f"/api/cases/{mine}").json()
    assert case["state"] == "dispatched"
    assert {c["id"]: c for c in dashboard.get("/api/cases").json()["items"]}[mine]["followup"] == "dissatisfied"
    trail = dashboard.get(f"/api/cases/{mine}/events").json()
    assert [e for e in trail if e["transition"] == "reopen"][0]["note"] == WORDS  # private: staff only

    period = {"start": (store.clock() - timedelta(days=1)).isoformat(),
              "end": (store.clock() + timedelta(days=1)).isoformat()}
    kpis = dashboard.get("/api/followups/kpis", params={"by": "grid"} | period).json()
    [row] = kpis["rows"]
    assert row["key"].endswith("001")
    assert (row["due"], row["answered"], row["dissatisfied"]) == (1, 1, 1)
    assert (row["followup_rate"], row["satisfaction_rate"]) == (1.0, 0.0)
    answers = dashboard.get("/api/followups/answers", params={"channel": "call"}).json()
    assert [a["case_id"] for a in answers] == [mine]

    start = (store.clock() - timedelta(days=1)).isoformat()
    updates = dashboard.get("/open311/v2/servicerequestupdates.json",
                            params={"service_request_id": mine, "start_date": start}).json()
    text = json.dumps(updates, ensure_ascii=False)
    assert "回访：不满意" in text and "follow-up: Dissatisfied" in text
    assert "王阿姨" not in text and "13912345678" not in text and "p-disp-fs" not in text
