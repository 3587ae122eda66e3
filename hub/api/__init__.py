"""The hub's HTTP API, one module per resource."""
from fastapi import APIRouter

from . import dead_letters, devices, health, messages, photos, records


def api_router() -> APIRouter:
    # Auth (a later issue) goes here: APIRouter(dependencies=[Depends(require_operator)]) for
    # everything but health.
    router = APIRouter()
    for module in (health, devices, messages, records, photos, dead_letters):
        router.include_router(module.router)
    return router
