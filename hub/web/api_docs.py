"""The API's documentation page, ``/docs`` (Swagger UI), from vendored assets: FastAPI's default loads them from a
CDN, which leaves the page blank on a community's closed network. No ``/redoc``: ReDoc's standalone bundle still
fetches its logo from cdn.redoc.ly."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

VENDOR = "/vendor"  # hub/web/vendor, mounted by mount_dashboard (update.sh re-vendors, licences beside)


def mount_api_docs(app: FastAPI) -> None:
    """For an app built with ``docs_url=None, redoc_url=None``."""
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=title,
            swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png")

