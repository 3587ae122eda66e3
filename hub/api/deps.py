"""Typed FastAPI dependencies for the store and the bridge. Who is calling and what they may see come from
:mod:`hub.auth.http` (``OperatorDep``, ``ActingOperatorDep``, ``AdminDep``, ``ScopeDep``); sign-in itself is
applied once to the API router in ``hub/api/__init__.py``."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.mqtt.bridge import MqttBridge
from hub.store import HubStore


def get_store(request: Request) -> HubStore:
    return request.app.state.store


def get_bridge(request: Request) -> MqttBridge | None:
    return request.app.state.bridge


StoreDep = Annotated[HubStore, Depends(get_store)]
BridgeDep = Annotated[MqttBridge | None, Depends(get_bridge)]
