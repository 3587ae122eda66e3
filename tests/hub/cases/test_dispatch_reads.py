"""What dispatching a task reads on PostgreSQL: a case's device actions are found by record id in
``records_other``, never by scanning the position partitions (which grow by every patrol fix)."""
from __future__ import annotations

import sqlalchemy as sa

from hub.cases.dispatch import applied_action_seqs


def test_applied_action_seqs_reads_no_position_partition(pg_store):
    query = applied_action_seqs("case-1")
    sql = str(query.compile(dialect=pg_store.engine.dialect, compile_kwargs={"literal_binds": True}))
    with pg_store.engine.connect() as conn:
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    assert "records_other" in plan, plan
    assert "records_position" not in plan, plan
