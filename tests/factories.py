"""Small builders of domain rows for tests (real rows in the test's real database)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.engine import create_engine, session_factory
from gateway.db.models import (
    Category,
    Laboratory,
    Project,
    Session,
    Species,
    Subject,
    User,
)
from gateway.demo import seed_demo
from gateway.storage import Storage

_seq = itertools.count(1)


class World:
    """Builds rows with sensible defaults; every builder takes overrides as keywords."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, obj: Any) -> Any:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def category(self, **kw: Any) -> Category:
        n = next(_seq)
        return await self.add(Category(**{"name": f"Category {n}", **kw}))

    async def species(self, **kw: Any) -> Species:
        n = next(_seq)
        return await self.add(
            Species(**{"name": f"Species {n}", "scientific_name": f"Genus species{n}", **kw})
        )

    async def lab(self, **kw: Any) -> Laboratory:
        n = next(_seq)
        return await self.add(Laboratory(**{"name": f"lab{n}", **kw}))

    async def user(self, **kw: Any) -> User:
        n = next(_seq)
        return await self.add(User(**{"username": f"user{n}", "email": f"u{n}@x.org", **kw}))

    async def project(self, **kw: Any) -> Project:
        n = next(_seq)
        return await self.add(Project(**{"name": f"project_{n}", "is_public": True, **kw}))

    async def subject(self, project: Project, **kw: Any) -> Subject:
        n = next(_seq)
        return await self.add(Subject(**{"nickname": f"S{n:05d}", "project_id": project.id, **kw}))

    async def session_row(self, project: Project, **kw: Any) -> Session:
        n = next(_seq)
        defaults = {
            "name": f"session_{n}",
            "project_id": project.id,
            "start_time": datetime(2024, 1, 1) + timedelta(hours=n),
        }
        return await self.add(Session(**{**defaults, **kw}))


async def build(sessionmaker: async_sessionmaker[AsyncSession], recipe: Any) -> Any:
    """Run ``recipe(world)`` in one committed transaction and return what it returns."""
    async with sessionmaker() as session:
        result = await recipe(World(session))
        await session.commit()
        return result


@asynccontextmanager
async def demo_database(
    url: str, storage: Storage
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database at ``url`` once the demo data set is loaded into it (its
    brains' files into ``storage``): for a live gateway serving the demo data."""
    engine = create_engine(url)
    try:
        sessionmaker = session_factory(engine)
        async with sessionmaker() as session:
            await seed_demo(session, storage=storage)
            await session.commit()
        yield sessionmaker
    finally:
        await engine.dispose()
