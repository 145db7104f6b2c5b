"""The one write-transaction mechanism under concurrent writers. SQLite locks the whole
database for a writer: writers take turns (what a transaction reads stays true until it
commits), and a burst of them never runs into "database is locked". (PostgreSQL locks rows;
tests/approvals/test_concurrent_reviews.py races writers on both databases.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.engine import read_connection, write_transaction
from gateway.db.models import Project, table

WRITERS = 30  # more than the connection pool holds (5 + 10 overflow)
_projects = table(Project)


# About SQLite's database-wide write lock: these run on SQLite only, whatever the backends.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _project(sessionmaker: async_sessionmaker[AsyncSession]) -> Project:
    async with sessionmaker() as session, session.begin():
        project = Project(name="counter", description="0")
        session.add(project)
    return project


@sqlite_only
async def test_sqlite_writers_take_turns_so_read_then_write_loses_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    project = await _project(sessionmaker)

    async def increment() -> None:
        async with write_transaction(sessionmaker) as conn:
            query = select(_projects.c.description).where(_projects.c.id == project.id)
            count = int((await conn.execute(query)).scalar_one())
            await asyncio.sleep(0)  # let the other writers run, as real I/O would
            await conn.execute(
                update(_projects)
                .where(_projects.c.id == project.id)
                .values(description=str(count + 1))
            )

    await asyncio.gather(*(increment() for _ in range(WRITERS)))
    async with read_connection(sessionmaker) as conn:
        query = select(_projects.c.description).where(_projects.c.id == project.id)
        assert (await conn.execute(query)).scalar_one() == str(WRITERS)


@sqlite_only
async def test_a_burst_of_sqlite_writers_that_also_read_elsewhere_all_commit(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Each writer reads through a second connection while it holds the write lock: writers
    waiting for their turn must not hold the pool's every connection meanwhile."""
    project = await _project(sessionmaker)

    async def write(n: int) -> None:
        async with write_transaction(sessionmaker) as conn:
            await conn.execute(
                update(_projects).where(_projects.c.id == project.id).values(description=str(n))
            )
            async with read_connection(sessionmaker) as other:
                await other.execute(select(_projects.c.id).where(_projects.c.id == project.id))

    await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(WRITERS))), timeout=30)


async def test_a_write_transaction_that_raises_leaves_nothing_behind(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    project = await _project(sessionmaker)
    with pytest.raises(RuntimeError):
        async with write_transaction(sessionmaker) as conn:
            await conn.execute(
                update(_projects).where(_projects.c.id == project.id).values(description="x")
            )
            raise RuntimeError("halfway")
    async with read_connection(sessionmaker) as conn:
        query = select(_projects.c.description).where(_projects.c.id == project.id)
        assert (await conn.execute(query)).scalar_one() == "0"
    # The lock was released: the next writer gets its turn.
    async with write_transaction(sessionmaker) as conn:
        await conn.execute(
            update(_projects).where(_projects.c.id == project.id).values(description="1")
        )
