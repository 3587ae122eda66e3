"""The whole OpenAPI schema under schemathesis, signed in as an admin over the sample community: no request,
however odd, gets a 5xx, on SQLite or on PostgreSQL. Every operation of /openapi.json is generated for (positive
and negative data), and each generated call goes to a hub on each database; each call carries a fresh admin
session, so an operation that ends a session (logout) cannot starve the rest."""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python.asgi import ASGIClient

from hub import sample
from hub.api import live
from hub.app import create_app
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.settings import HubSettings
from hub.store import HubStore

from ...conftest import OPERATOR_PASSWORD, _fresh_pg_database

# per operation and mode (+/-); deeper: 100. 4 in CI: generating the inputs is most of these tests' CPU, and the
# suite shares 2 cores (10 made the four shards per backend 50-110 s each; 6 took 35-65 s each, too much of the
# 15-minute CI budget, issue 13)
EXAMPLES = int(os.environ.get("GRIDLINE_SCHEMATHESIS_EXAMPLES", "4"))
# The CI-size run is derandomized (the same inputs every run: a red CI means a change broke something, not luck);
# a deeper run with GRIDLINE_SCHEMATHESIS_EXAMPLES explores fresh inputs each time.
DERANDOMIZE = "GRIDLINE_SCHEMATHESIS_EXAMPLES" not in os.environ
CITY = "440400"  # top of the sample hierarchy: an admin here sees everything
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Hub:
    """One hub under test: its app (lifespan running) and a way to mint a fresh admin session token."""
    name: str
    app: FastAPI
    token: Callable[[], str]


@pytest.fixture(scope="module")
def hubs(tmp_path_factory):
    """A hub on SQLite and one on PostgreSQL, each over the sample community with a city admin."""
    made: dict[str, Hub] = {}
    with pytest.MonkeyPatch.context() as patch:
        # the live feed is a stream that stays open for a minute: end each one at once so it gets examples too
        patch.setattr(live, "STREAM_LIFETIME_S", 0.05)
        patch.setattr(live, "KEEPALIVE_S", 0.05)
        clients: list[TestClient] = []
        stores: list[HubStore] = []
        drops: list[Callable[[], None]] = []
        try:
            for backend in BACKENDS:
                data = tmp_path_factory.mktemp(f"schemathesis-{backend}")
                if backend == "sqlite":
                    url = f"sqlite:///{data / 'hub.db'}"
                else:
                    url, drop = _fresh_pg_database(migrated=True)
                    drops.append(drop)
                store = HubStore(url, data / "hub")
                stores.append(store)
                store.migrate()
                load_community(store, sample.load_raw())
                directory = OperatorDirectory(store, clock=store.clock)
                admin = directory.create("schemathesis-admin", OPERATOR_PASSWORD, role="admin", scope_code=CITY)
                app = create_app(HubSettings(data_dir=data / "hub"), store=store, start_bridge=False,
                                 clock=store.clock)
                client = TestClient(app)
                client.__enter__()  # the lifespan: app.state for the generated calls
                clients.append(client)
                login = client.post("/api/auth/login",
                                    json={"username": "schemathesis-admin", "password": OPERATOR_PASSWORD})
                assert login.status_code == 200, login.text
                made[backend] = Hub(backend, app, lambda d=directory, a=admin.id:
                                    d.start_session(a, user_agent="schemathesis").token)
            yield made
        finally:
            for client in clients:
                client.__exit__(None, None, None)
            for store in stores:
                store.close()
            for drop in drops:
                drop()


def check_operation(operation, mode, hubs: list[Hub], examples: int, statuses: Counter) -> list[str]:
    """Up to ``examples`` generated calls of one operation, each made to every hub of ``hubs`` (generating is
    most of the cost: once for all); returns the 5xx answers as readable lines."""
    failures: list[str] = []
    # Not entered: schemathesis' own client would start a second lifespan of the app (jobs included) and keep it
    # running until the process ends; the hubs' lifespans are running already.
    sessions = [(hub, ASGIClient(hub.app)) for hub in hubs]

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=DERANDOMIZE)
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case):
        for hub, session in sessions:
            where = f"{operation.method.upper()} {operation.path} [{mode.value}, {hub.name}]"
            try:
                response = case.call(session=session, headers={"Authorization": f"Bearer {hub.token()}"})
            except Exception as exc:  # noqa: BLE001 - in-process, an unhandled server error surfaces here: a 500
                statuses["raised"] += 1
                failures.append(f"{where} -> raised {type(exc).__name__}: {str(exc)[:300]}\n"
                                f"  {case.as_curl_command()[:600]}")
                continue
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{where} -> {response.status_code}: {response.text[:300]}\n"
                                f"  {case.as_curl_command()[:600]}")

    try:
        call()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # nothing to get wrong: an operation without parameters or body has no negative cases
    return failures


# The API's operations in this many parts, each a test of its own, so parallel test workers share the ~300 calls
# per operation group instead of one worker making them all (it was 2 x 2.5 minutes, the suite's longest tests).
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_operation_answers_5xx(hubs, shard):
    schema = schemathesis.openapi.from_asgi("/openapi.json", hubs["sqlite"].app)  # the same API on both
    every = sorted((result.ok() for result in schema.get_all_operations()), key=lambda o: (o.path, o.method))
    assert len(every) > 40, "the whole API should be in the schema"
    operations = every[shard::SHARDS]
    failures, statuses = [], Counter()
    for operation in operations:
        for mode in GenerationMode:
            failures += check_operation(operation, mode, list(hubs.values()), EXAMPLES, statuses)
    print(f"schemathesis: {len(operations)} operations, {sum(statuses.values())} calls, statuses "
          + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))
    # each generated call went to both hubs; the negative mode ran too, where it can
    assert sum(statuses.values()) > len(BACKENDS) * EXAMPLES * len(operations)
    assert not failures, f"{len(failures)} 5xx answers:\n" + "\n".join(failures[:30])


@pytest.fixture(params=BACKENDS)
def hub_app(request, hubs):
    """(app, token) of the hub on one database."""
    hub = hubs[request.param]
    return hub.app, hub.token


def test_a_nul_character_in_any_string_parameter_or_body_is_a_400_not_a_500(hub_app):
    """PostgreSQL text cannot hold NUL: every path and query string parameter of the schema, and a JSON and a
    form body, get a clear 400 from the edge (hub/api/nul_guard.py) on both databases."""
    app, token = hub_app
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token()}"
    spec = client.get("/openapi.json").json()
    tried, answers = 0, {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            for param in params:
                schema = param.get("schema", {})
                if "string" not in [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]:
                    continue
                url = path
                for other in (p for p in params if p["in"] == "path"):
                    url = url.replace("{" + other["name"] + "}", "a%00b" if other is param else "x1")
                query = {param["name"]: "a\x00b"} if param["in"] == "query" else {}
                response = client.request(method.upper(), url, params=query)
                answers[f"{method.upper()} {path} {param['name']}"] = response.status_code
                tried += 1
    assert tried > 30
    assert {k: v for k, v in answers.items() if v != 400} == {}
    for body in ({"json": {"name": "a\x00b"}}, {"data": {"name": "a\x00b"}}):
        response = client.post("/api/open311-keys", **body)
        assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert client.post("/api/open311-keys", json={"name": "12345 热线"}).status_code == 201  # the rest unaffected


def test_the_out_of_range_inputs_schemathesis_found_are_refused_cleanly(hub_app):
    """Regression cases from the runs: integers past the database's columns and a blank key name were 500s."""
    app, token = hub_app
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token()}"
    for url in ("/api/access-log?before_id=9223372036854775808", "/api/dead-letters?before_id=-5097168898720360562688",
                "/api/dead-letters?before_id=2147483648", "/api/cases?offset=11467266528881281612377073769250816",
                "/api/live/events?after=23168573475024"):
        assert client.get(url).status_code == 422, url
    assert client.get("/api/dead-letters?before_id=2147483647").status_code == 200
    assert client.post("/api/open311-keys", json={"name": "\u000b"}).status_code == 422
    for period in ("from=0001-01-01T00:00:00%2B00:07&to=2000-01-01T00:00:00Z",
                   "from=2000-01-01T00:00:00Z&to=9999-12-31T23:59:59-23:59"):
        assert client.get(f"/api/kpis?{period}").status_code == 422, period
        assert client.get(f"/api/kpis.csv?{period}").status_code == 422, period
    assert client.get("/api/kpis?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z").status_code == 200
    widest = client.get("/api/kpis?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z")
    assert widest.status_code < 500, widest.text
