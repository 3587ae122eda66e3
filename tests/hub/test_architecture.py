"""The hub's layout rules, checked on the source (AST, no imports run):

- only the store package and the domain repository modules (``repo.py``, ``*_repo.py``) import ``tables.py``,
  and each imports only the tables its domain owns;
- every table has exactly one writer module (INSERT / UPDATE / DELETE statements on it);
- the HTTP routes (``hub/api``, the Open311 router) hold no SQL: they do not import SQLAlchemy;
- there is no import circle between hub modules, nor between hub packages.
"""
from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

from hub.store import tables

HUB = Path(__file__).resolve().parents[2] / "hub"

# Who owns which table: the package whose repository modules may read it, and the one module that writes it.
OWNERS: dict[str, tuple[str, str]] = {
    "records": ("store", "store/batch.py"),
    "photos": ("store", "store/batch.py"),
    "photo_chunks": ("store", "store/batch.py"),
    "devices": ("store", "store/batch.py"),
    "dead_letters": ("store", "store/dead_letters.py"),
    "downlinks": ("store", "store/downlinks.py"),
    "units": ("org", "org/repo.py"),
    "people": ("org", "org/repo.py"),
    "device_bindings": ("org", "org/repo.py"),
    "categories": ("org", "org/repo.py"),
    "calendar_days": ("org", "org/repo.py"),
    "department_contacts": ("org", "org/repo.py"),
    "cases": ("cases", "cases/repo.py"),
    "case_events": ("cases", "cases/repo.py"),
    "task_deliveries": ("cases", "cases/repo.py"),
    "dispatch_marks": ("cases", "cases/repo.py"),
    "action_outcomes": ("cases", "cases/repo.py"),
    "case_reference_counters": ("cases", "cases/repo.py"),
    "welfare_enrolments": ("welfare", "welfare/repo.py"),
    "welfare_checks": ("welfare", "welfare/repo.py"),
    "welfare_observations": ("welfare", "welfare/observations_repo.py"),  # issue 19 (0018)
    "welfare_false_alarms": ("welfare", "welfare/observations_repo.py"),
    "patrol_checkpoints": ("patrols", "patrols/repo.py"),
    "patrol_routes": ("patrols", "patrols/repo.py"),
    "checkpoint_visits": ("patrols", "patrols/repo.py"),
    "patrol_sessions": ("patrols", "patrols/repo.py"),
    "volunteer_hours": ("volunteers", "volunteers/repo.py"),
    "operators": ("auth", "auth/repo.py"),
    "operator_sessions": ("auth", "auth/repo.py"),
    "access_log": ("auth", "auth/repo.py"),
    "api_keys": ("auth", "auth/repo.py"),
    "sign_in_throttle": ("auth", "auth/repo.py"),
    "device_identities": ("devices", "devices/repo.py"),
    "device_flags": ("devices", "devices/repo.py"),
    "deliberation_topics": ("deliberation", "deliberation/repo.py"),
    "topic_comments": ("deliberation", "deliberation/repo.py"),
    "votes": ("deliberation", "deliberation/repo.py"),
    "kept_votes": ("deliberation", "deliberation/repo.py"),
    "notices": ("notices", "notices/repo.py"),
    "notice_versions": ("notices", "notices/repo.py"),
    "notice_deliveries": ("notices", "notices/repo.py"),
    "case_followups": ("followup", "followup/repo.py"),
    "followup_answer_outcomes": ("followup", "followup/repo.py"),
    "people_inactive": ("org", "org/people_repo.py"),  # issue 20: people taken off duty
    "dead_letter_replays": ("store", "store/dead_letter_replays.py"),  # issue 20: replays of dead letters
    **dict.fromkeys(("service_routes", "service_requests", "service_checkins", "dispute_criteria",  # issue 18
                     "dispute_plans", "disputes", "dispute_gradings", "home_visits"), ("services", "services/repo.py")),
}
WRITES = {"insert", "update", "delete", "dialect_insert", "_upsert"}  # _upsert: the org repository's insert-or-update


@functools.cache  # parsed once per run: every test here reads the same trees (the SQL test used to re-parse per route)
def sources() -> dict[str, ast.Module]:
    return {str(p.relative_to(HUB)): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(HUB.rglob("*.py")) if "migrations" not in p.parts}


def module_name(rel: str) -> str:
    name = "hub." + rel[:-3].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def is_repository(rel: str) -> bool:
    name = Path(rel).name
    return rel.startswith("store/") or name == "repo.py" or name.endswith("_repo.py")


def imported_tables(tree: ast.Module) -> set[str] | None:
    """Names imported from hub.store.tables (None: the module does not import it)."""
    found: set[str] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "hub.store.tables":
            found = (found or set()) | {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "hub.store" and any(
                a.name == "tables" for a in node.names):
            found = (found or set()) | {"*"}
        elif isinstance(node, ast.Import) and any(a.name == "hub.store.tables" for a in node.names):
            found = (found or set()) | {"*"}
    return found


def test_every_table_has_an_owner():
    assert set(OWNERS) == set(tables.metadata.tables)


def test_only_the_store_and_repositories_import_the_tables():
    outside = sorted(rel for rel, tree in sources().items()
                     if imported_tables(tree) is not None and not is_repository(rel) and rel != "store/tables.py")
    assert outside == [], f"import hub.store.tables outside hub/store/ and the repository modules: {outside}"


def test_each_repository_imports_only_its_own_tables():
    wrong = []
    for rel, tree in sources().items():
        names = imported_tables(tree)
        if names is None or rel == "store/tables.py":
            continue
        domain = rel.split("/")[0]
        for name in sorted(names):
            if name == "*" or (name in OWNERS and OWNERS[name][0] != domain):
                wrong.append(f"{rel} imports {name}")
    assert wrong == []


def _written_tables(tree: ast.Module) -> set[str]:
    written = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called not in WRITES:
            continue
        for arg in node.args:
            if isinstance(arg, ast.Name) and arg.id in OWNERS:
                written.add(arg.id)
    return written


def test_one_writer_per_table():
    writers: dict[str, set[str]] = defaultdict(set)
    for rel, tree in sources().items():
        for table in _written_tables(tree):
            writers[table].add(rel)
    wrong = {t: sorted(w) for t, w in writers.items() if w != {OWNERS[t][1]}}
    assert wrong == {}, f"tables written outside their one owner: {wrong}"
    assert set(writers) == set(OWNERS), f"never written (is the scan blind?): {set(OWNERS) - set(writers)}"


def test_routes_hold_no_sql():
    routes = [rel for rel in sources() if rel.startswith("api/") or rel == "open311/router.py"]
    assert routes
    with_sql = sorted(rel for rel in routes for node in ast.walk(sources()[rel])
                      if isinstance(node, (ast.Import, ast.ImportFrom))
                      and any((getattr(node, "module", None) or a.name).startswith("sqlalchemy") for a in node.names))
    assert with_sql == []


def _import_graph() -> dict[str, set[str]]:
    trees = sources()
    modules = {module_name(rel): rel for rel in trees}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, rel in modules.items():
        for node in ast.walk(trees[rel]):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                # a module always imports its own packages first: that is not an edge of the layering
                if target in modules and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_circle_between_modules():
    assert _cycles(_import_graph()) == []


def test_no_import_circle_between_packages():
    packages: dict[str, set[str]] = defaultdict(set)
    for source, targets in _import_graph().items():
        for target in targets:
            if _package(source) != _package(target):
                packages[_package(source)].add(_package(target))
    assert _cycles(packages) == []


@pytest.mark.parametrize("planted", ["module", "package"])
def test_the_circle_check_finds_a_circle(planted):
    """The checks above can fail: a planted circle is found."""
    graph = {"hub.a.x": {"hub.b.y"}, "hub.b.y": {"hub.a.x"}} if planted == "module" else \
        {"hub.a": {"hub.b"}, "hub.b": {"hub.c"}, "hub.c": {"hub.a"}}
    assert _cycles(graph) != []
