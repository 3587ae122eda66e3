"""The control-room dashboard (指挥中心大屏): static ES modules + CSS served by the hub at ``/app/``."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(str(files(__package__)))


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at ``/app/`` (``/`` redirects there). Static files need no sign-in (they hold no
    data); every ``/api`` call the page makes does."""
    app.mount("/app", StaticFiles(directory=WEB_DIR / "static", html=True), name="dashboard")
    app.mount("/vendor", StaticFiles(directory=WEB_DIR / "vendor"), name="dashboard-vendor")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app/")
