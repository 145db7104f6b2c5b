"""The PostgreSQL server the benchmarks run on, and scratch databases on it holding the
sessions benchmark's data (bench/graphql_sessions.py).

``NEUROGATE_BENCH_POSTGRES_URL`` names the server (an SQLAlchemy URL; its database is the one
to connect to for creating others); by default the machine's. ``NEUROGATE_BENCH_POSTGRES=0``
leaves PostgreSQL out of the benchmarks that run on both databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.engine import create_engine

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def server() -> str | None:
    """The server's URL, or None when the benchmarks are to leave PostgreSQL out."""
    if os.environ.get("NEUROGATE_BENCH_POSTGRES") == "0":
        return None
    return os.environ.get("NEUROGATE_BENCH_POSTGRES_URL", DEFAULT_SERVER)


def dsn(url: str) -> str:
    """``url`` as asyncpg's own connect string."""
    return make_url(url).set(drivername="postgresql").render_as_string(False)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(name: str, url: str | None = None) -> str:
    """A new, empty database ``name`` on the server (dropped first if a run left it); its URL."""
    at = url or server() or DEFAULT_SERVER
    await drop_database(name, at)
    await _admin(at, f'CREATE DATABASE "{name}"')
    return make_url(at).set(database=name).render_as_string(False)


async def drop_database(name: str, url: str | None = None) -> None:
    at = url or server() or DEFAULT_SERVER
    await _admin(at, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def scratch_database(
    name: str, build: Callable[[AsyncEngine], Awaitable[None]], *, url: str | None = None
) -> AsyncIterator[str]:
    """A fresh database ``name`` on the server, ``build`` run on it and then ANALYZEd; its
    URL. Dropped when the block ends."""
    scratch = await create_database(name, url)
    try:
        engine = create_engine(scratch)
        try:
            await build(engine)
            async with engine.connect() as conn:
                await conn.exec_driver_sql("ANALYZE")
                await conn.commit()
        finally:
            await engine.dispose()
        yield scratch
    finally:
        await drop_database(name, url)
