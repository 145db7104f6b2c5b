"""A segment's ranking streams from an index in its order on both backends: the database reads
the strongest partners first and stops, with no sort of all of them. Asked as in
tests/db/test_order_plans.py: is there a plan without a sort (PostgreSQL's ``enable_sort =
off``; SQLite's plan says when it sorts)?"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.models import Partnership, table
from loaders.partners import Direction
from tests.connectome.conftest import ConnectomeFiles, load

_pairs = table(Partnership)


async def _plan(engine: AsyncEngine, statement: str) -> list[str]:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")
            return [row[-1] for row in rows]
        await conn.exec_driver_sql("SET enable_sort = off")
        await conn.exec_driver_sql("SET enable_seqscan = off")
        return [row[0] for row in await conn.exec_driver_sql(f"EXPLAIN {statement}")]


@pytest.mark.parametrize("direction", list(Direction))
async def test_the_strongest_partners_are_read_from_an_index_in_their_order(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, direction: Direction
) -> None:
    done = await load(database_url, small_set)
    key, partner, count = direction.key, direction.partner, _pairs.c.syn_count
    one = (
        select(partner, count)
        .where(_pairs.c.materialization_id == done.materialization_id, key == 720575940600000001)
        .order_by(count.desc(), partner)
        .limit(101)
    )
    batch = (
        select(key, partner, count)
        .where(_pairs.c.materialization_id == done.materialization_id, key.in_([1, 2, 3]))
        .order_by(key, count.desc(), partner)
    )
    for stmt in (one, batch):
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        plan = await _plan(engine, sql)
        assert not [line for line in plan if "Sort" in line or "TEMP B-TREE" in line], plan
        index = "ix_partnership_" + (
            ("downstream" if direction is Direction.DOWNSTREAM else "upstream")
            if engine.dialect.name == "sqlite"
            else ("by_pre" if direction is Direction.DOWNSTREAM else "by_post")
        )
        assert any(index in line for line in plan), plan
