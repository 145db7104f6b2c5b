"""A page in an entity's default order streams from an index in exactly that order on every
backend: the database reads the first rows of the index and stops, instead of sorting every
matching row. The plan the database chooses for the statement the gateway sends is read back.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from gateway.db.models import Project, Session
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
