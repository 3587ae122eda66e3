"""The categories the dashboard's pickers and lists name (GET /api/categories): every category with its names in
both languages, signed in only; ``enabled_only`` leaves out what may not be filed."""
from __future__ import annotations

from hub.org.taxonomy import default_taxonomy, install_taxonomy, set_enabled
from tests.hub.api.dashboard_fixtures import sign_in

pytest_plugins = ["tests.hub.api.dashboard_fixtures"]  # the dashboard fixture


def test_categories_with_both_names_for_the_pickers(dashboard, store):
    install_taxonomy(store)
    assert dashboard.get("/api/categories").status_code == 401
    sign_in(dashboard, "fushi")
    listed = dashboard.get("/api/categories").json()
    assert [c["code"] for c in listed] == sorted(c.code for c in default_taxonomy())
    gas = next(c for c in listed if c["code"] == "E0403")
    assert gas["name_zh"] == "燃气泄漏" and gas["name_en"] and gas["kind"] == "event" and gas["enabled"]
    assert all(c["name_zh"] and c["name_en"] for c in listed)

    set_enabled(store, "E0403", False)
    assert "E0403" not in {c["code"] for c in dashboard.get("/api/categories", params={"enabled_only": True}).json()}
    assert next(c for c in dashboard.get("/api/categories").json() if c["code"] == "E0403")["enabled"] is False
