"""Sign-in over HTTP: cookie for browsers, Bearer for scripts, 429 with Retry-After when locked, logout ends it."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.settings import HubSettings

PASSWORD = "Grid-line-2026!"


@pytest.fixture
def client(store, tmp_path):
    load_community(store, sample.load_raw())
    OperatorDirectory(store, clock=store.clock).create("chen", PASSWORD, role="dispatcher",
                                                      scope_code="440402004005", display_name="陈调度")
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app) as test_client:
        yield test_client


def test_cookie_sign_in_me_and_logout(client):
    assert client.get("/api/auth/me").status_code == 401
    r = client.post("/api/auth/login", json={"username": "chen", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["operator"]["role"] == "dispatcher"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    me = client.get("/api/auth/me").json()
    assert (me["display_name"], me["scope_name"]) == ("陈调度", "福石社区")  # the top bar names the scope
    assert client.post("/api/auth/logout").status_code == 403  # the cookie alone, no Origin: refused (CSRF)
    assert client.post("/api/auth/logout", headers={"Origin": "http://testserver"}).status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_bearer_token_for_scripts(client):
    token = client.post("/api/auth/login", json={"username": "chen", "password": PASSWORD}).json()["token"]
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()["username"] == "chen"
    assert client.get("/api/auth/me", headers={"Authorization": "Bearer " + "x" * 43}).status_code == 401


def test_wrong_password_then_lockout_with_retry_after(client):
    for _ in range(4):
        r = client.post("/api/auth/login", json={"username": "chen", "password": "not-the-password"})
        assert r.status_code == 401 and r.json()["detail"]["code"] == "bad_credentials"
    r = client.post("/api/auth/login", json={"username": "chen", "password": "not-the-password"})
    assert r.status_code == 429 and r.json()["detail"]["code"] == "locked" and int(r.headers["retry-after"]) > 0
    assert client.post("/api/auth/login", json={"username": "chen", "password": PASSWORD}).status_code == 429
