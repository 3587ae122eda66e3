"""The services routes under schemathesis (the whole-API run covers them too, on both databases; this one is quick
and SQLite only): no request, however odd, gets a 5xx."""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import GenerationMode

from hub import sample
from hub.app import create_app
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.settings import HubSettings
from hub.store import HubStore
from tests.conftest import OPERATOR_PASSWORD
from tests.hub.api.test_schemathesis import CITY, Hub, check_operation

OURS = ("/api/services", "/api/disputes", "/api/visits")


@pytest.fixture
def services_app(tmp_path):
    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "hub")
    store.migrate()
    load_community(store, sample.load_raw())
    directory = OperatorDirectory(store, clock=store.clock)
    admin = directory.create("schemathesis-admin", OPERATOR_PASSWORD, role="admin", scope_code=CITY)
    app = create_app(HubSettings(data_dir=tmp_path / "hub"), store=store, start_bridge=False, clock=store.clock)
    with TestClient(app):
        yield app, lambda: directory.start_session(admin.id, user_agent="schemathesis").token
    store.close()


def test_no_services_operation_answers_5xx(services_app):
    app, token = services_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op for r in schema.get_all_operations() if (op := r.ok()).path.startswith(OURS)]
    assert len(operations) >= 15
    failures: list[str] = []
    statuses: Counter = Counter()
    for operation in operations:
        for mode in GenerationMode:
            failures += check_operation(operation, mode, [Hub("sqlite", app, token)], 15, statuses)
    assert not failures, f"{len(failures)} 5xx answers:\n" + "\n".join(failures[:30])
