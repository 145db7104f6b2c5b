"""A page in an entity's default order streams from an index in exactly that order on every
backend: the database reads the first rows of the index and stops, instead of sorting every
matching row. The plan the database chooses for the statement the gateway sends is read back:
for sessions with enough rows that the choice is real, and for every other entity by asking
whether any plan without a sort exists (PostgreSQL's ``enable_sort = off``; SQLite without
statistics takes an index that serves ORDER BY ... LIMIT when one exists).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from gateway.auth.principal import Principal
from gateway.auth.visibility import visible
from gateway.db.models import Project, Session
from resolvers.catalog import ENTITIES
from resolvers.query import QuerySpec
from tests.conftest import Gateway

N_SESSIONS = 20_000
PAGE = 100


async def _load_sessions(engine: AsyncEngine) -> None:
    """Enough sessions that sorting them all costs more than reading an index, a few of them
    without a start time (where NULLS LAST matters)."""
    now = datetime(2024, 3, 1, 12)
    projects = [
        {"id": uuid.uuid4(), "name": f"p{i}", "is_public": True, "tags": [], "extra_fields": {}}
        for i in range(20)
    ]
    sessions = [
        {
            "id": uuid.uuid4(),
            "name": f"s{i}",
            "project_id": projects[i % len(projects)]["id"],
            "start_time": None if i % 500 == 0 else now - timedelta(minutes=(i * 7919) % 900_000),
            "extra_fields": {},
        }
        for i in range(N_SESSIONS)
    ]
    async with engine.begin() as conn:
        for model, rows in ((Project, projects), (Session, sessions)):
            table = SQLModel.metadata.tables[model.__tablename__]
            for start in range(0, len(rows), 5_000):
                await conn.execute(insert(table), rows[start : start + 5_000])
    async with engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE")
        await conn.commit()


async def _statement_of(gateway: Gateway, query: str) -> tuple[str, Any]:
    """The SQL (and parameters) the gateway sends for ``query``'s root list."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    engine = gateway.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await gateway.data(query)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    pages = [(sql, params) for sql, params in sent if "FROM session" in sql and "LIMIT" in sql]
    assert len(pages) == 1, sent
    return pages[0]


async def _plan(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [row[-1] for row in rows]
        rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return [row[0] for row in rows]


@pytest.mark.one_answer
async def test_a_session_page_in_default_order_reads_the_index_without_sorting(
    gateway: Gateway, engine: AsyncEngine
) -> None:
    await _load_sessions(engine)
    query = f"{{ sessions(limit: {PAGE}) {{ id name startTime }} }}"
    statement, parameters = await _statement_of(gateway, query)
    plan = await _plan(engine, statement, parameters)
    if engine.dialect.name == "sqlite":
        assert not any("TEMP B-TREE FOR ORDER BY" in line for line in plan), plan
        assert any("ix_session_start_time_id" in line for line in plan), plan
    else:
        assert not any("Sort" in line for line in plan), plan
        assert any("ix_session_start_time_id" in line for line in plan), plan
    # The order the index serves is the one the gateway promises: newest first, NULL last.
    sessions = (await gateway.data(query))["sessions"]
    starts = [row["startTime"] for row in sessions]
    assert None not in starts
    assert starts == sorted(starts, reverse=True)
    tail = f"{{ sessions(limit: {PAGE}, offset: {N_SESSIONS - PAGE}) {{ startTime }} }}"
    last = [row["startTime"] for row in (await gateway.data(tail))["sessions"]]
    assert last[-40:] == [None] * 40 and None not in last[:-40]


# Connectome tables are sized by imports (millions of rows): an index per order would slow
# every import, and their lists are read per segment through the partner indexes instead.
# Probe insertions and trajectories are ordered by their session's (insertion's) key as the
# caller sees it (NULL when hidden: a CASE per row, which no index holds); their lists are read
# per session, through the index of that key.
UNINDEXED_ORDERS = {
    "Segment",
    "SegmentProperty",
    "Connection",
    "ProbeInsertion",
    "TrajectoryEstimate",
}


@pytest.mark.parametrize("name", sorted(set(ENTITIES) - UNINDEXED_ORDERS))
async def test_every_default_order_has_an_index_that_serves_it(
    engine: AsyncEngine, name: str
) -> None:
    entity = ENTITIES[name]
    views = [Principal(user_id=1, is_admin=True), Principal(user_id=1)]
    async with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.exec_driver_sql("SET enable_sort = off")
        for view in views[: 2 if postgres else 1]:
            rule = visible(entity.table, view) if postgres else None  # SQLite: see above
            stmt = select(entity.table.c[entity.key])
            if rule is not None:
                stmt = stmt.where(rule)
            page = entity.apply(stmt, QuerySpec(), view).limit(PAGE)
            sql = str(page.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
            plan = [str(row[-1]) for row in await conn.exec_driver_sql(f"{explain} {sql}")]
            if any("One-Time Filter: false" in line for line in plan):
                continue  # this caller sees no row at all
            sorts = [line for line in plan if "Sort" in line or "TEMP B-TREE" in line]
            assert not sorts, (sql, plan)
