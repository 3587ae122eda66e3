"""Reading PostgreSQL plans in tests: which tables (partitions) a query's plan reads."""
from __future__ import annotations


def planned_relations(plan_json: list) -> set[str]:
    """The relation names anywhere in an ``EXPLAIN (FORMAT JSON)`` result."""
    found, todo = set(), [plan_json[0]["Plan"]]
    while todo:
        node = todo.pop()
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        todo.extend(node.get("Plans", []))
    return found
