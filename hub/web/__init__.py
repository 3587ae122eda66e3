"""The control-room dashboard (指挥中心大屏): static ES modules + CSS served by the hub at ``/app/``."""
from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub.web.basemaps import router as tiles_router
from protocol.labels import LABELS

WEB_DIR = Path(str(files(__package__)))
LABELS_MODULE_PATH = "/app/labels.js"


def labels_module() -> str:
    """``protocol.labels`` as an ES module (``export const LABELS = {language: {key: text}}``): the dashboard's
    i18n.js imports it, so the words it shows for states, transitions, levels ... are the hub's own, with no copy
    in the static files that could go stale."""
    catalogue = json.dumps({language: dict(texts) for language, texts in LABELS.items()},
                           ensure_ascii=False, sort_keys=True, indent=1)
    return ("// Served by the hub from protocol/labels.py (hub/web/__init__.py); there is no file to edit.\n"
            f"export const LABELS = Object.freeze({catalogue});\n")


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at ``/app/`` (``/`` redirects there). Static files need no sign-in (they hold no
    data); every ``/api`` call the page makes does. ``/app/labels.js`` is generated from ``protocol.labels``
    (once: the catalogue is fixed for the process's life) and registered before the static mount, which it shadows."""
    module = labels_module().encode()
    etag = f'"{hashlib.sha256(module).hexdigest()[:32]}"'

    @app.get(LABELS_MODULE_PATH, include_in_schema=False)
    def labels_js(request: Request) -> Response:
        headers = {"ETag": etag, "Cache-Control": "no-cache"}  # revalidate: a new hub version may change words
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(module, media_type="text/javascript; charset=utf-8", headers=headers)

    app.include_router(tiles_router)  # /tiles/{z}/{x}/{y}: an offline MBTiles base map (hub/web/basemaps.py)
    app.mount("/app", StaticFiles(directory=WEB_DIR / "static", html=True), name="dashboard")
    app.mount("/vendor", StaticFiles(directory=WEB_DIR / "vendor"), name="dashboard-vendor")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app/")
