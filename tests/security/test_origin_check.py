"""Cookie-borne state changes only from the hub's own origin (issue 14 item 7), against the real hub.

The red team disabled an account with a body-less ``POST /api/operators/{id}/disable`` carrying the admin's session
cookie from ``Origin: http://127.0.0.1:9999`` - same site as the hub (SameSite=Strict lets the cookie through),
another origin. Now such a request needs Origin (or, without it, Referer) equal to the hub's own scheme, host and
port; Bearer requests and requests without the cookie are unaffected.
"""
from __future__ import annotations

import httpx

from hub.auth.operators import OperatorDirectory
from tests.security.signin_fixtures import (  # noqa: F401  (fixtures)
    USER,
    Accounts,
    accounts,
    bearer,
    http_from,
    live_hub,
    login,
    signin_clock,
    signin_store,
)

FOREIGN = "http://127.0.0.1:9999"


def test_cookie_posts_from_another_origin_are_refused(live_hub, signin_store, accounts: Accounts):
    base = live_hub.base_url
    directory = OperatorDirectory(signin_store, clock=signin_store.clock)
    disable, enable = f"/api/operators/{accounts.chen}/disable", f"/api/operators/{accounts.chen}/enable"
    with http_from(base, USER) as browser:
        assert login(browser, "fs-admin").status_code == 200  # the session is now in the cookie jar
        assert browser.cookies.get("gridline_session")

        for headers in ({"Origin": FOREIGN}, {"Origin": "null"}, {"Referer": FOREIGN + "/evil.html"}, {},
                        {"Origin": base.replace("127.0.0.1", "localhost")}, {"Origin": base.replace("http", "https")},
                        {"Origin": FOREIGN, "Referer": base + "/app/"}):
            refused = browser.post(disable, headers=headers)
            assert refused.status_code == 403, (headers, refused.text)
            detail = refused.json()["detail"]
            assert detail["code"] == "cross_origin" and detail["zh"] and detail["en"]
            assert not directory.get(accounts.chen).disabled

        assert browser.post(disable, headers={"Origin": base}).status_code == 200  # the dashboard's own fetch
        assert directory.get(accounts.chen).disabled
        assert browser.post(enable, headers={"Referer": base + "/app/#/operators"}).status_code == 200
        assert not directory.get(accounts.chen).disabled
        assert browser.post("/api/auth/login", headers={"Origin": FOREIGN},  # no signing in from elsewhere
                            json={"username": "fs-admin", "password": "Grid-line-2026!"}).status_code == 403

    with http_from(base, USER) as script:  # scripts: Bearer, no cookie - whatever Origin they send, or none
        admin = bearer(script, "fs-admin")
        script.cookies.clear()
        assert script.post(disable, headers=admin).status_code == 200
        assert script.post(enable, headers={**admin, "Origin": FOREIGN}).status_code == 200
        assert login(script, "chen").status_code == 200  # sign-in without Origin, with an old cookie or without
        assert login(script, "chen").status_code == 200
    anonymous = httpx.post(base + "/api/auth/logout", headers={"Origin": FOREIGN})
    assert anonymous.status_code == 401  # no cookie: the usual answer, not the origin check's
