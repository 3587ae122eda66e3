"""The hub's HTTP API, one module per resource."""
from fastapi import APIRouter

from ..open311 import router as open311_router  # mounted by app.py at /open311/v2
from . import auth, cases, dead_letters, devices, health, kpis, messages, photos, records
from . import welfare


def api_router() -> APIRouter:
    # Auth (a later issue) goes here: APIRouter(dependencies=[Depends(require_operator)]) for
    # everything but health.
    router = APIRouter()
    for module in (health, auth, devices, messages, records, photos, dead_letters, cases, kpis):
        router.include_router(module.router)
    router.include_router(welfare.router)
    return router
