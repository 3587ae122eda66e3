"""The sample community's welfare enrolments (hub/sample/welfare.json), for the demo and tests.

Load the community first (hub.org.geojson_io.load_community): helpers and grids must exist.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from importlib.resources import files

from hub.store.clock import utc_now
from hub.store.db import Database
from hub.welfare.enrolment import EnrolmentRegistry, EnrolmentSpec


def sample_enrolments() -> list[tuple[EnrolmentSpec, str]]:
    """(spec, enrolled_by) pairs from the shipped file."""
    raw = json.loads(files("hub.sample").joinpath("welfare.json").read_text(encoding="utf-8"))
    return [(EnrolmentSpec(**{k: v for k, v in item.items() if k != "enrolled_by"}), item["enrolled_by"])
            for item in raw["enrolments"]]


def load_sample_enrolments(db: Database, *, clock: Callable[[], datetime] = utc_now) -> int:
    """Enrol the sample residents not yet enrolled; returns how many were added (re-running adds none)."""
    registry = EnrolmentRegistry(db, clock=clock)
    added = 0
    for spec, actor in sample_enrolments():
        if registry.by_resident(spec.resident_key) is None:
            registry.enrol(spec, actor)
            added += 1
    return added
