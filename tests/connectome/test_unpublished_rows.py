"""Readers never see the rows of a materialization that is not published. On PostgreSQL the
import commits its connections and pairs before it publishes (in tables of their own, attached
as partitions when it publishes): held between that commit and the publication, it has
committed rows that no query of ``connection`` or ``partnership`` finds. (SQLite's import makes
its rows readable before it publishes: this held test finds them there, so it runs on
PostgreSQL only.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.connectome.importer import Imported
from gateway.db.models.connectome import connection_partition
from gateway.settings import Settings
from resolvers.context import Context
from resolvers.partners import Direction, partners
from tests.conftest import POSTGRES_URL
from tests.connectome.conftest import ConnectomeFiles, Expected
from tests.connectome.test_concurrent_import import held_import


async def _count(engine: AsyncEngine, statement: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(statement))).scalar_one())


async def _seen(engine: AsyncEngine, ctx: Context, m: int, hub: int) -> tuple[int, ...]:
    """What readers find of materialization ``m``: its connections, its pairs, the hub's
    partners each way."""
    down = await partners(ctx, m, hub, Direction.DOWNSTREAM)
    up = await partners(ctx, m, hub, Direction.UPSTREAM)
    return (
        await _count(engine, f"SELECT count(*) FROM connection WHERE materialization_id = {m}"),
        await _count(engine, f"SELECT count(*) FROM partnership WHERE materialization_id = {m}"),
        down.total,
        up.total,
    )


if POSTGRES_URL:  # the PostgreSQL import only (see above)

    @pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
    async def test_an_import_held_before_publishing_shows_none_of_its_rows(
        database_url: str,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        small_set: ConnectomeFiles,
        expected: Expected,
    ) -> None:
        hub = expected.by_degree()[-1]
        async with held_import(database_url, "held_fly", small_set) as outcome:
            m = await _count(engine, "SELECT max(id) FROM materialization")
            # The load is committed, in a table of its own.
            loaded = f"SELECT count(*) FROM {connection_partition(m)}"
            assert await _count(engine, loaded) == expected.connection_rows
            ctx = Context.build(Settings(database_url=database_url), sessionmaker)
            assert await _seen(engine, ctx, m, hub) == (0, 0, 0, 0)
        done = outcome["done"]
        assert isinstance(done, Imported), done
        assert done.materialization_id == m
        ctx = Context.build(Settings(database_url=database_url), sessionmaker)
        connections, pairs, down, up = await _seen(engine, ctx, m, hub)
        assert (connections, pairs) == (expected.connection_rows, done.partnerships)
        assert (down, up) == (len(expected.downstream(hub)), len(expected.upstream(hub)))
